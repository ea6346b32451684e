"""An HTTP client for the hub (what `accord exercise`, `submit`, `results` and admin use)."""

import os
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .._util import InputError, OperationError
from ..identity import (
    ActKind,
    PartnerAct,
    PublicKeyRecord,
    key_id_of,
    prove_possession,
    sign_act,
)

CONFIG_FILE = Path(os.environ.get("ACCORD_CONFIG", Path.home() / ".config" / "accord" / "hub.toml"))


def hub_settings(url: str | None, token: str | None) -> tuple[str, str | None]:
    """Hub URL and token: flags first, then ACCORD_HUB_URL / ACCORD_TOKEN, then the config file.

    The config file (~/.config/accord/hub.toml, or $ACCORD_CONFIG) holds `url = "..."` and
    `token = "..."`.

    Raises:
        InputError: When no hub URL is given anywhere, or the config file is malformed.
    """
    config: dict[str, Any] = {}
    if CONFIG_FILE.is_file():
        try:
            config = tomllib.loads(CONFIG_FILE.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as ex:
            raise InputError(f"{CONFIG_FILE} is not valid TOML: {ex}") from None
    url = url or os.environ.get("ACCORD_HUB_URL") or config.get("url")
    token = token or os.environ.get("ACCORD_TOKEN") or config.get("token")
    if not url:
        raise InputError(
            f'no hub URL: pass --hub, set ACCORD_HUB_URL, or put url = "..." in {CONFIG_FILE}'
        )
    return str(url).rstrip("/"), token


class HubClient:
    """Calls to a hub's API; errors come back as AccordErrors with the hub's message."""

    def __init__(self, url: str, token: str | None, timeout: float = 120.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=timeout)
        self.url = url

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; the JSON body of a success, or an error naming the hub's reason."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as ex:
            raise OperationError(
                f"cannot reach the hub at {self.url}: {ex}; is it running?"
            ) from None
        if response.is_success:
            return response.json()
        self._refuse(method, path, response)

    @staticmethod
    def _refuse(method: str, path: str, response: httpx.Response) -> NoReturn:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:500]
        error = InputError if response.status_code in (400, 404, 409, 422) else OperationError
        raise error(f"the hub refused {method} {path} ({response.status_code}): {message}")

    def submit(self, exercise: str, bundle: Path) -> Any:
        """Upload a bundle to an exercise."""
        try:
            stream = bundle.open("rb")
        except OSError as ex:
            raise InputError(f"cannot read bundle {bundle}: {ex.strerror}") from None
        with stream:
            return self.call(
                "POST",
                f"/exercises/{exercise}/submissions",
                files={"bundle": (bundle.name, stream)},
            )

    def register_key(
        self,
        institute: str,
        record: PublicKeyRecord,
        private_key: Ed25519PrivateKey,
        valid_until: str | None = None,
    ) -> Any:
        """Register a public key, proving possession: fetch a challenge, sign it, send both.

        Raises:
            InputError: When `private_key` is not the key of `record`.
        """
        if key_id_of(private_key.public_key()) != record.key_id:
            raise InputError(f"the private key given is not the key of {record.key_id}")
        challenge = self.call("GET", f"/institutes/{institute}/keys/challenge")["challenge"]
        body = {
            "key": record.model_dump(mode="json"),
            "challenge": challenge,
            "proof": prove_possession(private_key, institute, challenge),
            "valid_until": valid_until,
        }
        return self.call("POST", f"/institutes/{institute}/keys", json=body)

    def download(self, path: str, target: Path) -> dict[str, str]:
        """Stream a GET response body into `target`; returns the response headers.

        Raises:
            InputError: For 400/404/409/422 answers; OperationError for other failures.
        """
        try:
            with self.http.stream("GET", path) as response:
                if not response.is_success:
                    response.read()
                    self._refuse("GET", path, response)
                with target.open("wb") as sink:
                    for chunk in response.iter_bytes(1 << 20):
                        sink.write(chunk)
                return dict(response.headers)
        except httpx.HTTPError as ex:
            raise OperationError(
                f"cannot download {path} from the hub at {self.url}: {ex}"
            ) from None

    def sign_act(
        self,
        exercise: str,
        private_key: Ed25519PrivateKey,
        partner: str,
        act: ActKind = "sign-off",
        reason: str | None = None,
    ) -> PartnerAct:
        """Sign `act` over the exercise's protocol id (as the hub holds it) with `private_key`.

        The act names this hub, so it cannot be replayed on another.
        """
        protocol_id = self.call("GET", f"/exercises/{exercise}")["protocol_id"]
        hub_id = self.call("GET", "/identity")["hub_id"]
        return sign_act(private_key, act, protocol_id, partner, datetime.now(UTC), reason, hub_id)

    def record_act(self, exercise: str, act: PartnerAct) -> Any:
        """Send a partner's signed act; the hub's agreement on the exercise after it."""
        return self.call("POST", f"/exercises/{exercise}/acts", json=act.model_dump(mode="json"))

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
