"""The fake Microsoft identity platform (Entra ID v2.0 endpoints) as MSAL Python 1.39 uses it.

Endpoints, under ``{root}{tenant}/`` for ``tenant`` in ``common``, ``organizations``,
``consumers`` or the fake's tenant id:

- ``v2.0/.well-known/openid-configuration`` (tenant discovery; MSAL reads the
  authorization, token and device authorization endpoints from it),
- ``discovery/instance`` (instance discovery; only reached when MSAL is given a URL there),
- ``oauth2/v2.0/devicecode``, ``oauth2/v2.0/authorize`` and ``oauth2/v2.0/token`` (device
  code, authorization code with PKCE, refresh token with rotation).

Callers hold the fake's lock; nothing here is thread-safe on its own.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import string
import time
import urllib.parse
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .wire import (
    AAD_JSON,
    AadError,
    GraphError,
    Query,
    Response,
    b64url_json,
    first,
    json_response,
    make_jwt,
)

GRAPH_RESOURCE = "https://graph.microsoft.com/"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
PRODUCT_SCOPES = ("Mail.ReadWrite", "Calendars.Read", "User.Read")
"""The Graph permissions the product asks for (PROVIDERS.md); MSAL adds the OIDC ones."""

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_KNOWN_TENANTS = ("common", "organizations", "consumers")
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1")
_REVOKED = (
    "The provided grant has expired due to it being revoked, a fresh auth token is needed. "
    "The user might have changed or reset their password."
)


def normalize_scope(scope: str) -> str:
    """``https://graph.microsoft.com/Mail.Read`` → ``Mail.Read`` (Graph's short form)."""
    if scope.lower().startswith(GRAPH_RESOURCE):
        return scope[len(GRAPH_RESOURCE) :]
    if scope.lower().startswith(GRAPH_APP_ID + "/"):
        return scope[len(GRAPH_APP_ID) + 1 :]
    return scope


def resource_scopes(scopes: Iterable[str], consented: Iterable[str] = ()) -> tuple[str, ...]:
    """The non-OIDC scopes, in order, with ``.default`` expanded to what was consented."""
    result: list[str] = []
    for scope in scopes:
        if scope in RESERVED_SCOPES:
            continue
        if normalize_scope(scope) == ".default":
            result.extend(s for s in consented if s not in result)
        elif scope not in result:
            result.append(scope)
    return tuple(result)


@dataclass
class Grant:
    """What the user allowed the app: scopes, and the refresh token currently valid."""

    scopes: tuple[str, ...]
    refresh_token: str
    refresh_expires_at: float
    issued_at: float
    used_refresh_tokens: set[str] = field(default_factory=set)
    revoked: bool = False


@dataclass
class AccessToken:
    """An issued access token (a JWT-shaped string)."""

    value: str
    grant: Grant
    scopes: frozenset[str]
    expires_at: float


@dataclass
class AuthCode:
    """An authorization code handed to the redirect URI, waiting to be redeemed once."""

    redirect_uri: str
    scopes: tuple[str, ...]
    challenge: str | None
    challenge_method: str
    nonce: str | None
    expires_at: float
    redeemed: bool = False


@dataclass
class DeviceFlow:
    """One device-code sign-in: pending until the test's user approves or denies it."""

    device_code: str
    user_code: str
    scopes: tuple[str, ...]
    expires_at: float
    state: str = "pending"  # pending | approved | denied | redeemed


@dataclass
class IdentityState:
    """Users, grants and tokens of the fake identity platform (one user, one public client)."""

    client_id: str
    tenant_id: str
    oid: str
    username: str
    display_name: str
    access_token_lifetime: int = 3600
    refresh_token_lifetime: int = 90 * 24 * 3600
    device_code_lifetime: int = 900
    device_flow_interval: int = 1
    invalidate_used_refresh_tokens: bool = True
    root: str = ""
    granted_scopes: list[str] = field(default_factory=list)
    scope_requests: list[list[str]] = field(default_factory=list)
    authorizations: list[dict[str, str]] = field(default_factory=list)
    refresh_count: int = 0
    deny_next: str | None = None
    codes: dict[str, AuthCode] = field(default_factory=dict)
    device_flows: list[DeviceFlow] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    tokens: dict[str, AccessToken] = field(default_factory=dict)

    # ----------------------------------------------------------------- control

    def issue(self, scopes: Iterable[str]) -> Response:
        """A fresh grant without any sign-in: the token response (``access_token`` …)."""
        return self._token_response(self._new_grant(tuple(scopes)), tuple(scopes), None)

    def complete_device_flow(self, user_code: str | None) -> DeviceFlow:
        """The user enters the code and consents (the latest pending flow by default)."""
        flow = self._pending_flow(user_code)
        flow.state = "approved"
        self.granted_scopes = list(resource_scopes(flow.scopes))
        return flow

    def deny_device_flow(self, user_code: str | None) -> DeviceFlow:
        """The user declines on the device login page."""
        flow = self._pending_flow(user_code)
        flow.state = "denied"
        return flow

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired (Graph answers 401)."""
        for token in self.tokens.values():
            token.expires_at = 0.0

    def expire_refresh_tokens(self) -> None:
        """Every refresh token is past its lifetime (``invalid_grant`` AADSTS700082)."""
        for grant in self.grants:
            grant.refresh_expires_at = 0.0

    def revoke_grant(self) -> None:
        """The user revokes the app's access (or resets the password): every grant dies."""
        for grant in self.grants:
            grant.revoked = True

    # ---------------------------------------------------------------- metadata

    def check_tenant(self, tenant: str) -> None:
        """Unknown tenants answer 400 like Entra ID."""
        if tenant not in _KNOWN_TENANTS and tenant != self.tenant_id:
            raise AadError(
                400,
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                "and are signing into the correct cloud.",
            )

    def issuer(self) -> str:
        """The ``iss`` of ID tokens (the tenant's own, even under ``common``)."""
        return f"{self.root}{self.tenant_id}/v2.0"

    def openid_configuration(self, tenant: str) -> Response:
        """``GET {tenant}/v2.0/.well-known/openid-configuration``."""
        self.check_tenant(tenant)
        base = f"{self.root}{tenant}"
        document = {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": self.issuer()
            if tenant == self.tenant_id
            else f"{self.root}{{tenantid}}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{self.root}oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "cloud_instance_name",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "preferred_username",
                "name",
                "tid",
                "ver",
                "oid",
            ],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }
        return json_response(200, document, content_type=AAD_JSON)

    def instance_discovery(self, tenant: str) -> Response:
        """``GET {tenant}/discovery/instance`` (aliases: just this host)."""
        host = urllib.parse.urlsplit(self.root).netloc
        return json_response(
            200,
            {
                "tenant_discovery_endpoint": (
                    f"{self.root}{tenant}/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {"preferred_network": host, "preferred_cache": host, "aliases": [host]}
                ],
            },
            content_type=AAD_JSON,
        )

    # --------------------------------------------------------------- endpoints

    def devicecode(self, tenant: str, form: Query) -> Response:
        """``POST {tenant}/oauth2/v2.0/devicecode``: start a device-code sign-in."""
        self.check_tenant(tenant)
        self._check_client(first(form, "client_id"))
        scopes = self._requested_scopes(form)
        user_code = "".join(secrets.choice(string.ascii_uppercase + "23456789") for _ in range(9))
        flow = DeviceFlow(
            device_code="DAQABIQEAAAD" + secrets.token_urlsafe(96),
            user_code=user_code,
            scopes=scopes,
            expires_at=time.time() + self.device_code_lifetime,
        )
        self.device_flows.append(flow)
        verification_uri = f"{self.root}devicelogin"
        return json_response(
            200,
            {
                "user_code": user_code,
                "device_code": flow.device_code,
                "verification_uri": verification_uri,
                "expires_in": self.device_code_lifetime,
                "interval": self.device_flow_interval,
                "message": (
                    f"To sign in, use a web browser to open the page {verification_uri} "
                    f"and enter the code {user_code} to authenticate."
                ),
            },
            content_type=AAD_JSON,
        )

    def authorize(self, tenant: str, query: Query) -> Response:
        """``GET {tenant}/oauth2/v2.0/authorize``: the user signs in and consents at once.

        Answers like Entra ID: ``response_mode=form_post`` (what MSAL's
        ``acquire_token_interactive`` uses) is an auto-submitting HTML form posting to the
        redirect URI; ``query`` (default) and ``fragment`` are a 302 to it.
        """
        self.check_tenant(tenant)
        params = {key: values[0] for key, values in query.items() if values}
        self.authorizations.append(params)
        if params.get("client_id") != self.client_id:
            return _error_page(
                400,
                f"AADSTS700016: Application with identifier '{params.get('client_id')}' was not "
                "found in the directory.",
            )
        redirect_uri = params.get("redirect_uri", "")
        parsed = urllib.parse.urlsplit(redirect_uri)
        if parsed.scheme != "http" or parsed.hostname not in _LOOPBACK_HOSTS:
            return _error_page(
                400,
                f"AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does "
                "not match the redirect URIs configured for the application.",
            )
        mode = params.get("response_mode", "query")
        answer: dict[str, str] = {}
        scopes = tuple(params.get("scope", "").split())
        method = params.get("code_challenge_method", "plain")
        if params.get("response_type") != "code":
            answer |= _oauth_error("unsupported_response_type", 70000, "Only 'code' is faked.")
        elif not resource_scopes(scopes) and "openid" not in scopes:
            answer |= _oauth_error(
                "invalid_request", 900144, "The request body must contain scope."
            )
        elif "code_challenge" in params and method not in ("S256", "plain"):
            answer |= _oauth_error("invalid_request", 501491, "Invalid code_challenge_method.")
        elif self.deny_next is not None:
            answer |= _oauth_error(
                self.deny_next, 65004, "User declined to consent to access the app."
            )
            self.deny_next = None
        else:
            self.scope_requests.append(list(scopes))
            code = "0.AXoA" + secrets.token_urlsafe(120)
            self.codes[code] = AuthCode(
                redirect_uri,
                scopes,
                params.get("code_challenge"),
                method,
                params.get("nonce"),
                time.time() + 600,
            )
            self.granted_scopes = list(resource_scopes(scopes))
            answer["code"] = code
            if params.get("client_info") == "1":
                answer["client_info"] = self._client_info()
        if "state" in params:
            answer["state"] = params["state"]
        answer["session_state"] = str(uuid.uuid4())
        if mode == "form_post":
            return _form_post_page(redirect_uri, answer)
        separator = "#" if mode == "fragment" else ("&" if "?" in redirect_uri else "?")
        location = redirect_uri + separator + urllib.parse.urlencode(answer)
        return Response(302, b"", [("Location", location)])

    def token(self, tenant: str, form: Query) -> Response:
        """``POST {tenant}/oauth2/v2.0/token``: device code, authorization code, refresh token."""
        self.check_tenant(tenant)
        self._check_client(first(form, "client_id"))
        if first(form, "client_secret") or first(form, "client_assertion"):
            raise AadError(
                401,
                "invalid_client",
                700025,
                "Client is public so neither 'client_assertion' nor 'client_secret' should be "
                "presented.",
            )
        grant_type = first(form, "grant_type")
        if grant_type == DEVICE_CODE_GRANT:
            return self._redeem_device_code(form)
        if grant_type == "authorization_code":
            return self._redeem_code(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        raise AadError(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant_type}'.",
        )

    def check_bearer(self, authorization: str | None) -> AccessToken:
        """The access token of a Graph call, or a 401 like Graph's."""
        scheme, _, value = (authorization or "").partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            raise _unauthenticated("Access token is empty.")
        token = self.tokens.get(value)
        if token is None:
            raise _unauthenticated("Invalid JWT token. The token is malformed or not issued here.")
        if token.grant.revoked:
            raise _unauthenticated(
                "Continuous access evaluation resulted in challenge with result: "
                "InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp"
            )
        if token.expires_at <= time.time():
            raise _unauthenticated("Lifetime validation failed, the token is expired.")
        return token

    # ----------------------------------------------------------------- helpers

    def _check_client(self, client_id: str | None) -> None:
        if client_id != self.client_id:
            raise AadError(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{self.tenant_id}'.",
            )

    def _requested_scopes(self, form: Query) -> tuple[str, ...]:
        scopes = tuple((first(form, "scope") or "").split())
        if not scopes:
            raise AadError(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.",
            )
        self.scope_requests.append(list(scopes))
        return scopes

    def _pending_flow(self, user_code: str | None) -> DeviceFlow:
        pending = [
            f
            for f in self.device_flows
            if f.state == "pending" and user_code in (None, f.user_code)
        ]
        if not pending:
            raise KeyError(f"no pending device flow with user code {user_code!r}")
        return pending[-1]

    def _redeem_device_code(self, form: Query) -> Response:
        code = first(form, "device_code") or first(form, "code")
        flow = next((f for f in self.device_flows if f.device_code == code), None)
        if flow is None:
            raise AadError(
                400,
                "bad_verification_code",
                70000,
                "The provided value for the input parameter 'device_code' is not valid.",
            )
        if flow.state == "redeemed":
            raise AadError(
                400,
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
            )
        if flow.expires_at <= time.time():
            raise AadError(
                400,
                "expired_token",
                70020,
                "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
            )
        if flow.state == "denied":
            raise AadError(
                400, "authorization_declined", 70000, "The user declined the sign-in request."
            )
        if flow.state == "pending":
            raise AadError(
                400,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            )
        flow.state = "redeemed"
        return self._token_response(self._new_grant(flow.scopes), flow.scopes, None)

    def _redeem_code(self, form: Query) -> Response:
        value = first(form, "code", "") or ""
        code = self.codes.get(value)
        if code is None:
            raise AadError(
                400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid."
            )
        if code.redeemed:
            raise AadError(
                400,
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
            )
        if code.expires_at <= time.time():
            raise AadError(
                400,
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to inactivity.",
            )
        if first(form, "redirect_uri") != code.redirect_uri:
            raise AadError(
                400,
                "invalid_grant",
                500112,
                "The reply address does not match the reply address provided when requesting Authorization code.",
            )
        if code.challenge is not None:
            verifier = first(form, "code_verifier") or ""
            if code.challenge_method == "S256":
                digest = hashlib.sha256(verifier.encode("ascii")).digest()
                computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            else:
                computed = verifier
            if computed != code.challenge:
                raise AadError(
                    400,
                    "invalid_grant",
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                )
        code.redeemed = True
        return self._token_response(self._new_grant(code.scopes), code.scopes, code.nonce)

    def _refresh(self, form: Query) -> Response:
        value = first(form, "refresh_token", "") or ""
        grant = next(
            (g for g in self.grants if value == g.refresh_token or value in g.used_refresh_tokens),
            None,
        )
        if grant is None:
            raise AadError(
                400,
                "invalid_grant",
                9002313,
                "Invalid request. Request is malformed or invalid.",
                "bad_token",
            )
        if grant.revoked:
            raise AadError(400, "invalid_grant", 50173, _REVOKED, "bad_token")
        if value != grant.refresh_token and self.invalidate_used_refresh_tokens:
            raise AadError(
                400,
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to inactivity. "
                "Send a new interactive authorization request for this user and resource.",
                "bad_token",
            )
        if grant.refresh_expires_at <= time.time():
            raise AadError(
                400,
                "invalid_grant",
                700082,
                "The refresh token has expired due to inactivity.",
                "token_expired",
            )
        asked = tuple((first(form, "scope") or "").split())
        wanted = resource_scopes(asked, grant.scopes)
        missing = [s for s in wanted if s not in grant.scopes]
        if missing:
            raise AadError(
                400,
                "invalid_grant",
                65001,
                f"The user or administrator has not consented to use the application with ID "
                f"'{self.client_id}'. Missing: {' '.join(missing)}.",
                "consent_required",
            )
        self.scope_requests.append(list(asked))
        self.refresh_count += 1
        grant.used_refresh_tokens.add(grant.refresh_token)
        grant.refresh_token = _refresh_token()
        grant.refresh_expires_at = time.time() + self.refresh_token_lifetime
        return self._token_response(grant, asked or grant.scopes, None, always_refresh=True)

    def _new_grant(self, scopes: tuple[str, ...]) -> Grant:
        now = time.time()
        grant = Grant(
            resource_scopes(scopes, PRODUCT_SCOPES),
            _refresh_token(),
            now + self.refresh_token_lifetime,
            now,
        )
        self.grants.append(grant)
        return grant

    def _client_info(self) -> str:
        return b64url_json({"uid": self.oid, "utid": self.tenant_id})

    def _token_response(
        self,
        grant: Grant,
        asked: tuple[str, ...],
        nonce: str | None,
        *,
        always_refresh: bool = False,
    ) -> Response:
        now = int(time.time())
        scopes = resource_scopes(asked, grant.scopes)
        lifetime = self.access_token_lifetime
        value = make_jwt(
            {
                "aud": GRAPH_RESOURCE.rstrip("/"),
                "iss": f"https://sts.windows.net/{self.tenant_id}/",
                "iat": now,
                "nbf": now,
                "exp": now + lifetime,
                "appid": self.client_id,
                "name": self.display_name,
                "oid": self.oid,
                "scp": " ".join(normalize_scope(s) for s in scopes),
                "tid": self.tenant_id,
                "upn": self.username,
                "uti": secrets.token_urlsafe(16),
                "ver": "1.0",
            }
        )
        self.tokens[value] = AccessToken(
            value, grant, frozenset(normalize_scope(s) for s in scopes), now + lifetime
        )
        answer: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join([*scopes, *(s for s in ("openid", "profile") if s in asked)]),
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": value,
        }
        if lifetime >= 7200:
            answer["refresh_in"] = lifetime // 2
        if always_refresh or "offline_access" in asked:
            answer["refresh_token"] = grant.refresh_token
        if "openid" in asked:
            claims: dict[str, Any] = {
                "aud": self.client_id,
                "iss": self.issuer(),
                "iat": now,
                "nbf": now,
                "exp": now + 3600,
                "auth_time": int(grant.issued_at),
                "name": self.display_name,
                "oid": self.oid,
                "preferred_username": self.username,
                "rh": "0.AXoA" + secrets.token_urlsafe(8),
                "sub": hashlib.sha256(f"{self.oid}:{self.client_id}".encode()).hexdigest()[:43],
                "tid": self.tenant_id,
                "uti": secrets.token_urlsafe(16),
                "ver": "2.0",
            }
            if nonce:
                claims["nonce"] = nonce
            answer["id_token"] = make_jwt(claims)
            answer["client_info"] = self._client_info()
        return json_response(200, answer, content_type=AAD_JSON)


def _refresh_token() -> str:
    return "1.AXoA" + secrets.token_urlsafe(180)


def _oauth_error(error: str, code: int, description: str) -> dict[str, str]:
    return {
        "error": error,
        "error_description": f"AADSTS{code}: {description}",
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }


def _unauthenticated(message: str) -> GraphError:
    return GraphError(
        401,
        "InvalidAuthenticationToken",
        message,
        headers=[
            (
                "WWW-Authenticate",
                'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/'
                f'oauth2/authorize", client_id="{GRAPH_APP_ID}"',
            )
        ],
    )


def _error_page(status: int, message: str) -> Response:
    """Entra ID shows an error page (no redirect) for a bad client or redirect URI."""
    body = f"<html><body><h1>Sign in</h1><p>{html.escape(message)}</p></body></html>"
    return Response(status, body.encode(), [("Content-Type", "text/html; charset=utf-8")])


def _form_post_page(redirect_uri: str, fields: dict[str, str]) -> Response:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}" />'
        for k, v in fields.items()
    )
    body = (
        "<html><head><title>Working...</title></head><body>"
        f'<form method="POST" name="hiddenform" action="{html.escape(redirect_uri)}">{inputs}'
        "<noscript><p>Script is disabled. Click Submit to continue.</p>"
        '<input type="submit" value="Submit" /></noscript></form>'
        '<script language="javascript">document.forms[0].submit();</script></body></html>'
    )
    return Response(200, body.encode(), [("Content-Type", "text/html; charset=utf-8")])
