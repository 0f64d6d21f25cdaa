"""The demo company's staff and tags: three regional sales teams, service and marketing.

Users are created only when missing, all with one shared demo password; existing users (and
their passwords) are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from tiercard.accounts.models import Role, Team, User
from tiercard.customers.models import Tag
from tiercard.demo.plan import Staff
from tiercard.demo.pools.business import TAGS

DEMO_PASSWORD = "tiercard-demo"  # noqa: S105 - a documented demo credential, printed on purpose
TEAMS = {"east": "华东", "south": "华南", "north": "华北"}


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    team: str | None  # team code
    display_name: str
    reveal: bool = False


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", Role.ADMIN, None, "系统管理员"),
    DemoUser("manager_east", Role.MANAGER, "east", "王建国（华东区经理）"),
    DemoUser("sales_east1", Role.SALES, "east", "李静"),
    DemoUser("sales_east2", Role.SALES, "east", "张伟"),
    DemoUser("sales_east3", Role.SALES, "east", "陈晓燕"),
    DemoUser("manager_south", Role.MANAGER, "south", "黄志强（华南区经理）"),
    DemoUser("sales_south1", Role.SALES, "south", "林佳怡"),
    DemoUser("sales_south2", Role.SALES, "south", "梁俊杰"),
    DemoUser("sales_south3", Role.SALES, "south", "何敏"),
    DemoUser("manager_north", Role.MANAGER, "north", "赵立新（华北区经理）"),
    DemoUser("sales_north1", Role.SALES, "north", "刘洋"),
    DemoUser("sales_north2", Role.SALES, "north", "孙丽"),
    DemoUser("sales_north3", Role.SALES, "north", "马超"),
    DemoUser("service", Role.SERVICE, None, "客服 周婷"),
    DemoUser("marketing", Role.MARKETING, None, "市场部 吴倩"),
)


@dataclass(frozen=True)
class StaffResult:
    staff: Staff
    created: tuple[str, ...]  # usernames created now (they have the demo password)


def ensure_demo_staff() -> StaffResult:
    """Create the demo teams and users that do not exist yet; map the ones that do."""
    with transaction.atomic():
        teams = {code: Team.objects.get_or_create(name=name)[0] for code, name in TEAMS.items()}
        existing = {u.username: u for u in User.objects.filter(username__in=_usernames())}
        password = None
        created = []
        for spec in DEMO_USERS:
            if spec.username in existing:
                continue
            password = password or make_password(DEMO_PASSWORD)  # hash once, share it
            user = User(
                username=spec.username,
                password=password,
                role=spec.role,
                team=teams[spec.team] if spec.team else None,
                display_name=spec.display_name,
                can_reveal_pii=spec.reveal,
                is_staff=spec.role == Role.ADMIN,
                is_superuser=spec.role == Role.ADMIN,
            )
            user.save()
            existing[spec.username] = user
            created.append(spec.username)
    return StaffResult(_staff(existing, teams), tuple(created))


def _usernames() -> list[str]:
    return [spec.username for spec in DEMO_USERS]


def _staff(users: dict[str, User], teams: dict[str, Team]) -> Staff:
    reps: dict[str, list[int]] = {code: [] for code in TEAMS}
    managers: dict[str, int] = {}
    user_team: dict[int, int | None] = {}
    for spec in DEMO_USERS:
        user = users[spec.username]
        user_team[user.pk] = user.team_id
        if spec.team and spec.role == Role.SALES:
            reps[spec.team].append(user.pk)
        elif spec.team and spec.role == Role.MANAGER:
            managers[spec.team] = user.pk
    return Staff(
        reps={code: tuple(ids) for code, ids in reps.items()},
        managers=managers,
        team_ids={code: team.pk for code, team in teams.items()},
        user_team=user_team,
        service=(users["service"].pk,),
        marketing=(users["marketing"].pk,),
    )


def ensure_demo_tags() -> dict[str, int]:
    """The demo tags by name (created when missing, colours kept when present)."""
    for name, color in TAGS:
        Tag.objects.get_or_create(name=name, defaults={"color": color})
    return dict(Tag.objects.filter(name__in=[n for n, _ in TAGS]).values_list("name", "pk"))


def demo_password_works(username: str = "admin") -> bool:
    """Whether ``username`` still signs in with the demo password."""
    user = User.objects.filter(username=username).first()
    return bool(user and user.check_password(DEMO_PASSWORD))
