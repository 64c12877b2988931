"""Who may call the API: bearer tokens with a scope, and a rate limit per token.

On 127.0.0.1, without a web login and with no token created yet, the API is open, as the web
app is; from the first ``inclusie token create`` on (or with ``INCLUSIE_AUTH`` set), every
request needs ``Authorization: Bearer …``.
On any other address ``inclusie serve`` does not start without a token, and should every token
be revoked while it runs, requests are refused rather than let through.

>>> from ui.tokens import TokenInfo
>>> TokenInfo("bot", "read", "2025-01-01").allows("write")
False
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .limits import RateLimiter
from .problems import ApiProblem
from .tokens import TokenInfo, TokenStore

_bearer = HTTPBearer(
    auto_error=False,
    description="Een API-token van `inclusie token create NAAM [--scope read|write]`.",
)

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="inclusie-assistent"'}


@dataclass(frozen=True)
class Caller:
    """Who made a request: a named token, or nobody on an open loopback API."""

    token: TokenInfo | None

    @property
    def name(self) -> str:
        return self.token.name if self.token else "open"


class Access:
    """Builds the FastAPI dependencies that check the token, its scope and its rate."""

    def __init__(self, tokens: TokenStore, limiter: RateLimiter, open_without_tokens: bool):
        self.tokens = tokens
        self.limiter = limiter
        self.open_without_tokens = open_without_tokens

    def _is_open(self) -> bool:
        return self.open_without_tokens and self.tokens.count() == 0

    def authenticate(self, token: str | None) -> Caller:
        if token:
            info = self.tokens.check(token)
            if info is not None:
                return Caller(info)
            if self._is_open():  # nothing to check against: the API is open on this machine
                return Caller(None)
            raise ApiProblem(
                401,
                "Onbekend of ingetrokken API-token in de header 'Authorization'. Vraag de "
                "beheerder om een geldig token (inclusie token create NAAM).",
                field="Authorization",
                headers=_CHALLENGE,
            )
        if self._is_open():
            return Caller(None)
        raise ApiProblem(
            401,
            "Dit verzoek heeft een API-token nodig: stuur de header 'Authorization: Bearer "
            "<token>'. De beheerder maakt er een met: inclusie token create NAAM.",
            field="Authorization",
            headers=_CHALLENGE,
        )

    def authorize(self, caller: Caller, scope: str) -> None:
        info = caller.token
        if info is None:
            return
        if not info.allows(scope):
            raise ApiProblem(
                403,
                f"Het token '{info.name}' mag alleen lezen (scope read); documenten toevoegen of "
                "verwijderen vraagt een token met scope write.",
                field="Authorization",
            )
        wait = self.limiter.take(info.name)
        if wait:
            raise ApiProblem(
                429,
                f"Te veel verzoeken met het token '{info.name}': hoogstens "
                f"{self.limiter.per_minute} per minuut. Probeer het over {wait} seconden opnieuw.",
                field="Authorization",
                headers={"Retry-After": str(wait)},
            )

    def require(self, scope: str) -> Callable[..., Caller]:
        """A dependency: the caller, when it may use ``scope`` (``read`` or ``write``)."""

        def dependency(
            request: Request,
            credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
        ) -> Caller:
            if credentials is None and request.headers.get("authorization", "").strip():
                if not self._is_open():
                    raise ApiProblem(
                        401,
                        "De header 'Authorization' moet de vorm 'Bearer <token>' hebben.",
                        field="Authorization",
                        headers=_CHALLENGE,
                    )
            caller = self.authenticate(credentials.credentials if credentials else None)
            self.authorize(caller, scope)
            return caller

        return dependency
