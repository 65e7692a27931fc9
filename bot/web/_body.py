"""Reading a delivery's body without ever holding more than the cap in memory."""

from __future__ import annotations

from starlette.requests import Request

from bot.webhooks import MalformedDelivery, PayloadTooLarge


async def read_capped_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with ``PayloadTooLarge`` as soon as it exceeds ``limit`` bytes.

    A ``Content-Length`` over the cap is refused before a byte is read; a body sent without
    one (chunked) is counted while it streams in.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise MalformedDelivery("Content-Length is not a number") from None
        if length > limit:
            raise PayloadTooLarge(f"body of {length} bytes exceeds {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"body exceeds {limit} bytes")
    return bytes(body)
