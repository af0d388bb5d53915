"""The password rules every way of setting a password goes through, and telling the system."""

from __future__ import annotations

from console.api.schemas import UserOut
from console.auth.password_policy import PasswordPolicy
from console.errors import ProblemError
from console.events import Audience
from console.services import Services
from console.store.models import User


async def check_new_password(
    services: Services, password: str, user: User | str, loc: str = "body.password"
) -> None:
    """Refuse a weak password with a 422 naming the field and the reason."""
    username = user if isinstance(user, str) else user.username
    context = () if isinstance(user, str) else (user.display_name,)
    site = services.settings.site
    policy = PasswordPolicy.of(services.settings.security)
    refusal = await policy.check(
        password, username=username, context=(*context, site.name, site.name_en, "eoc")
    )
    if refusal is not None:
        raise ProblemError(
            422,
            f"{loc}: password {refusal.message}",
            code="validation",
            errors=[
                {
                    "loc": loc,
                    "msg": f"password {refusal.message}",
                    "type": refusal.code,
                    "min_length": policy.min_length,
                }
            ],
        )


async def publish_password_change(services: Services, user: User, *, by_admin: bool) -> None:
    """Tell open websockets and live views: the user's sessions and tokens are gone."""
    await services.bus.publish(
        "user.updated",
        UserOut.of(user).model_dump(mode="json"),
        audience=Audience("users.read", frozenset({user.unit_id})),
    )
    await services.bus.publish(
        "user.credentials.revoked",
        {"id": user.id, "by_admin": by_admin},
        audience=Audience("users.read", frozenset({user.unit_id})),
    )
