"""Routes for an institute's webhooks and their delivery log (the institute's admins)."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query

from ._service import Hub
from ._webhooks import WebhookIn

API = "/api/v1"
Auth = Annotated[str | None, Header(alias="Authorization")]


def webhook_router(hub: Hub) -> APIRouter:
    """Create, list and disable webhooks; read the delivery log."""
    router = APIRouter()
    base = f"{API}/institutes/{{institute_id}}/webhooks"

    @router.post(base, status_code=201)
    def create(institute_id: str, body: WebhookIn, authorization: Auth = None) -> dict[str, Any]:
        """Subscribe an endpoint; the HMAC secret is in this answer only."""
        return hub.create_webhook(hub.actor(authorization), institute_id, body)

    @router.get(base)
    def listing(institute_id: str, authorization: Auth = None) -> list[dict[str, Any]]:
        """The institute's webhooks (without secrets)."""
        return hub.webhooks(hub.actor(authorization), institute_id)

    @router.post(f"{base}/{{webhook_id}}/disable")
    def disable(institute_id: str, webhook_id: str, authorization: Auth = None) -> dict[str, Any]:
        """Stop a webhook."""
        return hub.disable_webhook(hub.actor(authorization), institute_id, webhook_id)

    @router.get(f"{API}/institutes/{{institute_id}}/webhook-deliveries")
    def deliveries(
        institute_id: str,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        authorization: Auth = None,
    ) -> list[dict[str, Any]]:
        """The delivery log: attempts, last status or error, delivered or given up."""
        return hub.deliveries(hub.actor(authorization), institute_id, limit)

    return router
