"""The fake Google OAuth 2.0 authorization server (installed-app flow with PKCE).

Callers hold the fake's lock; nothing here is thread-safe on its own.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field

from .wire import ApiError, OAuthError, Query, Response, first, json_response

GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
GMAIL_COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
PRODUCT_SCOPES = (GMAIL_READONLY, GMAIL_COMPOSE, CALENDAR_READONLY)
"""The scopes the product asks for (PROVIDERS.md)."""

_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
_REVOKED = "Token has been expired or revoked."


@dataclass
class Grant:
    """What the user allowed one client: scopes and a refresh token."""

    client_id: str
    scopes: tuple[str, ...]
    refresh_token: str
    revoked: bool = False


@dataclass
class AccessToken:
    """An issued access token."""

    value: str
    grant: Grant
    scopes: frozenset[str]
    expires_at: float


@dataclass
class AuthCode:
    """An authorization code handed to the redirect URI, waiting to be exchanged."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    challenge: str | None
    challenge_method: str


@dataclass
class OAuthState:
    """Clients, grants and tokens of the fake authorization server."""

    client_id: str
    client_secret: str
    access_token_lifetime: int = 3600
    granted_scopes: list[str] = field(default_factory=list)
    authorizations: list[dict[str, str]] = field(default_factory=list)
    refresh_count: int = 0
    deny_next: str | None = None
    codes: dict[str, AuthCode] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    tokens: dict[str, AccessToken] = field(default_factory=dict)

    # ----------------------------------------------------------------- control

    def issue(self, scopes: Iterable[str]) -> tuple[AccessToken, Grant]:
        """Create a grant and an access token without the browser round trip."""
        grant = Grant(self.client_id, tuple(scopes), "1//fake-" + secrets.token_urlsafe(24))
        self.grants.append(grant)
        self.granted_scopes = list(grant.scopes)
        return self._new_access_token(grant, grant.scopes), grant

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired (API calls then answer 401)."""
        for token in self.tokens.values():
            token.expires_at = 0.0

    def revoke_grant(self) -> None:
        """The user removes the app's access: refresh tokens and access tokens die."""
        for grant in self.grants:
            grant.revoked = True

    # --------------------------------------------------------------- endpoints

    def authorize(self, query: Query) -> Response:
        """``GET o/oauth2/auth``: the user clicks "Allow" at once (or denies, if told to)."""
        params = {key: values[0] for key, values in query.items() if values}
        self.authorizations.append(params)
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if client_id != self.client_id:
            return _error_page(401, "invalid_client", "The OAuth client was not found.")
        if not _is_loopback_redirect(redirect_uri):
            return _error_page(400, "redirect_uri_mismatch", f"Bad redirect_uri {redirect_uri!r}")
        if params.get("response_type") != "code":
            return _error_page(400, "unsupported_response_type", "response_type must be code")
        scopes = tuple(params.get("scope", "").split())
        if not scopes:
            return _error_page(400, "invalid_request", "Missing required parameter: scope")
        method = params.get("code_challenge_method", "plain")
        if "code_challenge" in params and method not in ("S256", "plain"):
            return _error_page(400, "invalid_request", "Invalid code_challenge_method")

        answer: dict[str, str] = {}
        if "state" in params:
            answer["state"] = params["state"]
        if self.deny_next is not None:
            answer["error"] = self.deny_next
            self.deny_next = None
        else:
            code = "4/fake-" + secrets.token_urlsafe(24)
            self.codes[code] = AuthCode(
                client_id, redirect_uri, scopes, params.get("code_challenge"), method
            )
            self.granted_scopes = list(scopes)
            answer["code"] = code
            answer["scope"] = " ".join(scopes)
        separator = "&" if "?" in redirect_uri else "?"
        location = redirect_uri + separator + urllib.parse.urlencode(answer)
        return Response(302, b"", [("Location", location), ("Content-Length", "0")])

    def token(self, form: Query, authorization: str | None) -> Response:
        """``POST token``: authorization_code and refresh_token grants."""
        self._check_client(form, authorization)
        grant_type = first(form, "grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def revoke(self, form: Query) -> Response:
        """``POST revoke``: revoking any token of a grant revokes the whole grant."""
        value = first(form, "token", "")
        for grant in self.grants:
            if grant.refresh_token == value and not grant.revoked:
                grant.revoked = True
                return json_response(200, {})
        token = self.tokens.get(value or "")
        if token is not None and not token.grant.revoked:
            token.grant.revoked = True
            return json_response(200, {})
        raise OAuthError(400, "invalid_token", "Token expired or revoked")

    def check_bearer(self, authorization: str | None) -> AccessToken:
        """The access token of an API call, or a 401 exactly like Google's."""
        scheme, _, value = (authorization or "").partition(" ")
        token = self.tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None or token.grant.revoked or token.expires_at <= time.time():
            raise ApiError(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "authError",
                headers=[
                    ("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"'),
                ],
                error_extra={"location": "Authorization", "locationType": "header"},
            )
        return token

    # ----------------------------------------------------------------- helpers

    def _check_client(self, form: Query, authorization: str | None) -> None:
        client_id = first(form, "client_id")
        client_secret = first(form, "client_secret")
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() == "basic":
            decoded = base64.b64decode(value).decode()
            user, _, password = decoded.partition(":")
            client_id = urllib.parse.unquote_plus(user)
            client_secret = urllib.parse.unquote_plus(password)
        if client_id != self.client_id or client_secret != self.client_secret:
            raise OAuthError(401, "invalid_client", "Unauthorized")

    def _exchange_code(self, form: Query) -> Response:
        code = self.codes.pop(first(form, "code", "") or "", None)
        if code is None:
            raise OAuthError(400, "invalid_grant", "Malformed auth code.")
        if first(form, "redirect_uri") != code.redirect_uri:
            raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
        if code.challenge is not None:
            verifier = first(form, "code_verifier")
            if not verifier:
                raise OAuthError(400, "invalid_grant", "Missing code verifier.")
            if code.challenge_method == "S256":
                digest = hashlib.sha256(verifier.encode("ascii")).digest()
                computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            else:
                computed = verifier
            if computed != code.challenge:
                raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
        grant = Grant(code.client_id, code.scopes, "1//fake-" + secrets.token_urlsafe(24))
        self.grants.append(grant)
        token = self._new_access_token(grant, grant.scopes)
        return json_response(
            200,
            {
                "access_token": token.value,
                "expires_in": self.access_token_lifetime,
                "refresh_token": grant.refresh_token,
                "scope": " ".join(grant.scopes),
                "token_type": "Bearer",
            },
        )

    def _refresh(self, form: Query) -> Response:
        value = first(form, "refresh_token", "")
        grant = next((g for g in self.grants if g.refresh_token == value), None)
        if grant is None or grant.revoked:
            raise OAuthError(400, "invalid_grant", _REVOKED)
        asked = tuple((first(form, "scope") or "").split()) or grant.scopes
        if not set(asked) <= set(grant.scopes):
            raise OAuthError(400, "invalid_scope", "Bad Request")
        self.refresh_count += 1
        token = self._new_access_token(grant, asked)
        return json_response(
            200,
            {
                "access_token": token.value,
                "expires_in": self.access_token_lifetime,
                "scope": " ".join(asked),
                "token_type": "Bearer",
            },
        )

    def _new_access_token(self, grant: Grant, scopes: Iterable[str]) -> AccessToken:
        value = "ya29.fake-" + secrets.token_urlsafe(32)
        token = AccessToken(
            value, grant, frozenset(scopes), time.time() + self.access_token_lifetime
        )
        self.tokens[value] = token
        return token


def _is_loopback_redirect(uri: str) -> bool:
    parsed = urllib.parse.urlsplit(uri)
    return parsed.scheme == "http" and parsed.hostname in _LOOPBACK_HOSTS


def _error_page(status: int, error: str, description: str) -> Response:
    """Google shows an error page (no redirect) for a bad client or redirect URI."""
    return json_response(status, {"error": error, "error_description": description})
