"""An enterprise registers, the platform admin approves or rejects, its admin invites users."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.harness.app import API, PROBLEM, Login
from tests.harness.factories import ZJIM, World

pytestmark = pytest.mark.integration

CODE = "91330106MA2H0B3R1Q"  # check character computed by GB 32100-2015 (see the unit test)
APPLICATION = {
    "company_name": "杭州新测科技有限公司",
    "credit_code": CODE,
    "contact_name": "赵敏",
    "email": "Zhao.Min@XinCe.example",
    "phone": "0571-88880000",
    "city": "杭州",
    "password": "xince-2026-secret",
}


async def _token(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(f"{API}/auth/token", data={"username": email, "password": password})


async def test_register_approve_log_in_and_invite(
    app: FastAPI, client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    created = await client.post(f"{API}/registrations", json=APPLICATION)
    assert created.status_code == 201, created.text
    registration = created.json()
    assert registration["status"] == "pending"
    assert registration["email"] == "zhao.min@xince.example"
    assert "password" not in created.text

    # Pending: no account yet.
    assert (
        await _token(client, "zhao.min@xince.example", APPLICATION["password"])
    ).status_code == 401
    # The platform admins are told (outbox, delivered as e-mail and in-app notice).
    async with app.state.sessionmaker() as session:
        kinds = (
            await (await session.connection()).execute(
                text("SELECT kind, user_id FROM outbox WHERE kind = 'registration_submitted'")
            )
        ).all()
    assert [row.user_id for row in kinds] == [demo.users["admin@platform.demo"].id]

    admin = await login("admin@platform.demo")
    manager = await login("manager@zjim.demo")
    assert (await client.get(f"{API}/registrations", headers=manager)).status_code == 403
    pending = await client.get(f"{API}/registrations", headers=admin, params={"status": "pending"})
    assert [r["id"] for r in pending.json()] == [registration["id"]]

    approved = await client.post(f"{API}/registrations/{registration['id']}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    again = await client.post(f"{API}/registrations/{registration['id']}/approve", headers=admin)
    assert again.status_code == 409
    assert again.json()["code"] == "registration_decided"

    token = await _token(client, "zhao.min@xince.example", APPLICATION["password"])
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = (await client.get(f"{API}/auth/me", headers=headers)).json()
    assert me["role"] == "enterprise_admin"
    assert me["organisation"] == {
        "id": approved.json()["organisation_id"],
        "kind": "enterprise",
        "name": "杭州新测科技有限公司",
        "name_en": None,
    }

    invited = await client.post(
        f"{API}/invitations", headers=headers, json={"email": "qian@xince.example"}
    )
    assert invited.status_code == 201, invited.text
    assert invited.headers["Cache-Control"] == "no-store"  # it carries the invitee's key
    invite_token = invited.json()["token"]
    listed = await client.get(f"{API}/invitations", headers=headers)
    assert [i["email"] for i in listed.json()] == ["qian@xince.example"]
    assert "token" not in listed.json()[0]
    shown = await client.get(f"{API}/invitations/{invite_token}")
    assert shown.json()["organisation_name"] == "杭州新测科技有限公司"
    accepted = await client.post(
        f"{API}/invitations/{invite_token}/accept",
        json={"full_name": "钱进", "password": "qian-2026-secret"},
    )
    assert accepted.status_code == 201, accepted.text
    member = await _token(client, "qian@xince.example", "qian-2026-secret")
    assert member.status_code == 200
    used = await client.post(
        f"{API}/invitations/{invite_token}/accept",
        json={"full_name": "钱进", "password": "qian-2026-secret"},
    )
    assert used.status_code == 404
    assert used.json()["code"] == "invitation_invalid"
    # A member does not invite; only the enterprise admin does.
    member_headers = {"Authorization": f"Bearer {member.json()['access_token']}"}
    refused = await client.post(
        f"{API}/invitations", headers=member_headers, json={"email": "x@xince.example"}
    )
    assert refused.status_code == 403


async def test_bad_credit_code_and_duplicates_are_problems_with_codes(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    bad = await client.post(
        f"{API}/registrations", json={**APPLICATION, "credit_code": CODE[:-1] + "0"}
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == PROBLEM
    assert bad.json()["code"] == "credit_code_invalid"
    assert bad.json()["errors"][0]["field"] == "credit_code"

    short = await client.post(f"{API}/registrations", json={**APPLICATION, "password": "short"})
    assert short.json()["code"] == "password_too_short"

    existing = await client.post(
        f"{API}/registrations", json={**APPLICATION, "email": "buyer@jingce.demo"}
    )
    assert existing.status_code == 409
    assert existing.json()["code"] == "email_taken"

    first = await client.post(f"{API}/registrations", json=APPLICATION)
    assert first.status_code == 201
    twice = await client.post(
        f"{API}/registrations", json={**APPLICATION, "email": "other@xince.example"}
    )
    assert twice.status_code == 409
    assert twice.json()["code"] == "credit_code_taken"

    # Rejected with a reason; the same company may then apply again.
    admin = await login("admin@platform.demo")
    rejected = await client.post(
        f"{API}/registrations/{first.json()['id']}/reject",
        headers=admin,
        json={"reason": "营业执照信息不符"},
    )
    assert rejected.status_code == 200
    assert rejected.json()["reason"] == "营业执照信息不符"
    assert (await client.post(f"{API}/registrations", json=APPLICATION)).status_code == 201


async def test_a_lab_manager_invites_staff_and_assigns_roles_within_the_institution(
    client: httpx.AsyncClient, demo: World, login: Login
) -> None:
    manager = await login("manager@zjim.demo")
    # A lab manager brings in lab staff by default, never enterprise roles.
    wrong = await client.post(
        f"{API}/invitations",
        headers=manager,
        json={"email": "zhou@zjim.example", "role": "enterprise_admin"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "role_not_assignable"
    assert wrong.json()["errors"][0]["field"] == "role"
    invited = await client.post(
        f"{API}/invitations", headers=manager, json={"email": "zhou@zjim.example"}
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["role"] == "lab_staff"
    shown = await client.get(f"{API}/invitations/{invited.json()['token']}")
    assert shown.json()["organisation_name"] == ZJIM
    accepted = await client.post(
        f"{API}/invitations/{invited.json()['token']}/accept",
        json={"full_name": "周敏", "password": "zhou-2026-secret"},
    )
    assert accepted.status_code == 201, accepted.text

    # The new colleague is staff of the institution; only the manager sees the members' list
    # and makes them a manager.
    token = await _token(client, "zhou@zjim.example", "zhou-2026-secret")
    new = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = await client.get(f"{API}/auth/me", headers=new)
    assert me.json()["role"] == "lab_staff"
    assert (await client.get(f"{API}/members", headers=new)).status_code == 403
    listed = await client.get(f"{API}/members", headers=manager)
    members = {m["email"]: m for m in listed.json()}
    assert set(members) == {"manager@zjim.demo", "staff@zjim.demo", "zhou@zjim.example"}
    promoted = await client.put(
        f"{API}/members/{members['zhou@zjim.example']['id']}/role",
        headers=manager,
        json={"role": "lab_manager"},
    )
    assert promoted.status_code == 200, promoted.text
    assert (await client.get(f"{API}/auth/me", headers=new)).json()["role"] == "lab_manager"
    trail = await client.get(
        f"{API}/audit",
        headers=manager,
        params={"entity": "app_user", "entity_id": members["zhou@zjim.example"]["id"]},
    )
    assert [(e["action"], e["before"], e["after"]) for e in trail.json()] == [
        ("assign_role", {"role": "lab_staff"}, {"role": "lab_manager"})
    ]

    # Nobody changes their own role, and another institution's user is out of reach.
    own = await client.put(
        f"{API}/members/{members['manager@zjim.demo']['id']}/role",
        headers=manager,
        json={"role": "lab_staff"},
    )
    assert own.status_code == 409
    assert own.json()["code"] == "own_role"
    elsewhere = await client.put(
        f"{API}/members/{demo.users['manager@zju.demo'].id}/role",
        headers=manager,
        json={"role": "lab_staff"},
    )
    assert elsewhere.status_code == 404
    # Staff do not invite.
    staff = await login("staff@zjim.demo")
    refused = await client.post(f"{API}/invitations", headers=staff, json={"email": "a@b.example"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_organisation_admin"
