"""What the OpenAPI schema says about the answers every operation may give besides its own."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

_ERROR = "A JSON object: `{field: [messages]}`, or `{detail, field}` for a refusal about one field."

BAD_REQUEST = {400: OpenApiResponse(OpenApiTypes.OBJECT, description=_ERROR)}
NOT_ALLOWED = {
    403: OpenApiResponse(OpenApiTypes.OBJECT, description="A member whose role is too low: `{detail}`."),
    404: OpenApiResponse(
        OpenApiTypes.OBJECT, description="No such thing, or one the person may not see: `{detail}`."
    ),
}
CONFLICT = {
    409: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="Refused as things stand (the last admin, a job's state): `{detail}`.",
    )
}
