"""A loopback HTTPS fake of the Microsoft identity platform and Microsoft Graph v1.0.

Typical use::

    with FakeMicrosoft() as fake, requests.Session() as session:
        fake.trust(monkeypatch)  # REQUESTS_CA_BUNDLE / SSL_CERT_FILE → the throw-away CA
        session.verify = fake.ca_path  # (REQUESTS_CA_BUNDLE overrides it unless trust_env=False)
        app = msal.PublicClientApplication(
            fake.client_id, authority=fake.authority, instance_discovery=False,
            http_client=session, token_cache=msal.SerializableTokenCache(),
        )
        flow = app.initiate_device_flow(["Mail.ReadWrite"])
        fake.complete_device_flow(flow["user_code"])
        token = app.acquire_token_by_device_flow(flow)["access_token"]
        fake.deliver("Recruiter <r@acme.example>", "Interview", "Hello")
        session.get(fake.graph_endpoint + "/me/messages", headers={"Authorization": ...})

Module map: ``identity`` (Entra ID v2.0), ``calendar`` (calendarView + delta), ``mail``
(messages, drafts, replies, folder delta, immutable ids), ``odata`` ($filter/$search/$select
subset — see its docstring), ``delta`` (delta/skip tokens), ``server`` (``FakeMicrosoft``).
"""

from .identity import PRODUCT_SCOPES
from .server import FakeMicrosoft, Request

__all__ = ["PRODUCT_SCOPES", "FakeMicrosoft", "Request"]
