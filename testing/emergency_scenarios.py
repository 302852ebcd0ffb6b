"""Drive emergencies through the real HTTP API on a controllable clock (time-machine).

`Simulation` holds one logged-in client per person (the public, a dispatcher, a supervisor,
an engineer, a customer) and performs each act at a given UTC time, through the same routes a
person would use, with the session and CSRF flow. Nothing here writes to the database directly.

The month of March 2024 (`simulate_march_2024`) is shared by the report tests and the page
tests; its figures are worked out by hand in `emergencies/tests/test_reports.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from accounts.models import User
from testing.api_client import ApiClient
from testing.assertions import success_data
from testing.factories import UserFactory

UNCONTROLLED = {"inside": True, "gas_escaping": True, "meter_off": False, "co_symptoms": False}
CONTROLLED = {"inside": True, "gas_escaping": False, "meter_off": True, "co_symptoms": False}
REPORTS = "/api/admin/emergency-reports/"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def travel(when: datetime):
    """Stop the clock at `when` (UTC) for the acts inside the block."""
    return time_machine.travel(when, tick=False)


class Simulation:
    """People acting through the API at chosen times. Make it with the clock at or before its first act."""

    def __init__(self, start: datetime):
        with travel(start):
            self.public = ApiClient()
            self.dispatcher = self._client(
                UserFactory(username="dispatch", name="Dana Dispatcher", role=User.Role.AGENT)
            )
            self.supervisor = self._client(UserFactory(username="super", name="Sam Supervisor", role=User.Role.ADMIN))
            self.engineer_user = UserFactory(username="eng", name="Enid Engineer", role=User.Role.ENGINEER)
            self.engineer = self._client(self.engineer_user)
            self.customer_user = UserFactory(username="cust", name="Cora Customer", address="7 Meter Row")
            self.customer = self._client(self.customer_user)
        self.ids: dict[str, int] = {}  # scenario label: emergency id
        self.request_ids: dict[str, int] = {}

    @staticmethod
    def _client(user) -> ApiClient:
        client = ApiClient()
        client.login(user)
        return client

    # --- Reporting ------------------------------------------------------------------

    def _remember(self, label: str, reference: str) -> None:
        board = success_data(self.dispatcher.get("/api/admin/emergencies/", {"page_size": 100}))
        row = next(row for row in board if row["reference"] == reference)
        self.ids[label], self.request_ids[label] = row["id"], row["request_id"]

    def report(self, label: str, when: datetime, answers: dict, *, customer: bool = False, **fields) -> None:
        """Someone reports online: anonymously (the public) or as the logged-in customer."""
        payload = {**answers, **fields}
        if not customer:
            payload.setdefault("phone", "07700900123")
            payload.setdefault("address", f"{label} Gas Street")
        payload = {key: value for key, value in payload.items() if value is not None}  # None: leave it out
        with travel(when):
            data = success_data(
                (self.customer if customer else self.public).post("/api/emergencies/report/", payload), 201
            )
            self._remember(label, data["reference"])

    def phoned(self, label: str, entered: datetime, received: datetime, answers: dict, **fields) -> None:
        """A dispatcher types in a call at `entered`, giving the caller's time of call `received`."""
        payload = {"phone": "01632960001", "address": f"{label} Phone Lane", **answers, **fields}
        payload["received_at"] = received.isoformat()
        with travel(entered):
            data = success_data(self.dispatcher.post("/api/admin/emergencies/", payload), 201)
        self.ids[label], self.request_ids[label] = data["id"], data["request_id"]

    # --- The response ------------------------------------------------------------------

    def _staff(self, label: str, action: str, when: datetime, body: dict, client: ApiClient | None = None) -> dict:
        with travel(when):
            response = (client or self.dispatcher).post(f"/api/admin/emergencies/{self.ids[label]}/{action}/", body)
            return success_data(response, 201)

    def dispatch(self, label: str, when: datetime) -> None:
        self._staff(label, "dispatch", when, {"engineer": self.engineer_user.pk})

    def step(self, label: str, when: datetime, step: str, **body) -> None:
        """The engineer taps a step on their phone at `when` (optionally saying when it happened)."""
        with travel(when):
            url = f"/api/engineer/emergencies/{self.ids[label]}/steps/"
            success_data(self.engineer.post(url, {"step": step, **body}), 201)

    def attend(self, label: str, dispatched: datetime, arrived: datetime, made_safe: datetime | None = None) -> None:
        """Dispatch, then the engineer's taps: on the way (a minute after dispatch), arrived, made safe."""
        self.dispatch(label, dispatched)
        self.step(label, dispatched + timedelta(minutes=1), "en_route")
        self.step(label, arrived, "arrived")
        if made_safe is not None:
            self.step(label, made_safe, "made_safe")

    def override(self, label: str, when: datetime, classification: str, reason: str) -> None:
        self._staff(label, "classification", when, {"classification": classification, "reason": reason})

    def correct(self, label: str, when: datetime, kind: str, occurred_at: datetime, reason: str) -> None:
        """Correct the time of the record's (first) `kind` entry, found in the record as the API shows it."""
        with travel(when):
            record = success_data(self.dispatcher.get(f"/api/admin/emergencies/{self.ids[label]}/"))
        event = next(event for event in record["events"] if event["kind"] == kind)
        body = {"event": event["id"], "occurred_at": occurred_at.isoformat(), "reason": reason}
        self._staff(label, "corrections", when, body)

    def explain(self, label: str, when: datetime, deadline: str, reason: str) -> None:
        self._staff(label, "miss-reasons", when, {"deadline": deadline, "reason": reason})

    def review(self, label: str, when: datetime, comment: str = "Checked the record.") -> None:
        self._staff(label, "reviews", when, {"comment": comment}, client=self.supervisor)

    def stand_down(self, label: str, when: datetime) -> None:
        """Staff reclassify the request as maintenance: not an emergency after all."""
        with travel(when):
            response = self.dispatcher.patch(
                f"/api/admin/requests/{self.request_ids[label]}/", {"type_of_request": "Maintenance"}
            )
            success_data(response)

    # --- Reading the reports ------------------------------------------------------------

    def report_json(self, name: str, when: datetime, **period) -> dict:
        with travel(when):
            return success_data(self.dispatcher.get(f"{REPORTS}{name}/", period))


def simulate_march_2024() -> Simulation:
    """Sixteen reports around March 2024 in Europe/London, each step through the API (see test_reports.py).

    March 2024 holds Good Friday (29th, a bank holiday in England) and the start of summer
    time (Sunday 31st: 01:00 GMT became 02:00 BST); Easter Monday is 1 April. Until 31 March
    01:00 UTC, local time is UTC.
    """
    sim = Simulation(utc(2024, 2, 29, 23, 0))
    # P: Thursday 29 February 23:30 GMT: February, not March.
    sim.report("P", utc(2024, 2, 29, 23, 30), UNCONTROLLED)
    sim.attend("P", utc(2024, 2, 29, 23, 35), utc(2024, 2, 29, 23, 45), utc(2024, 3, 1, 0, 30))
    sim.review("P", utc(2024, 3, 1, 9, 0))

    # A: Friday 1 March 09:00, online, uncontrolled: arrived in 10 minutes.
    sim.report("A", utc(2024, 3, 1, 9, 0), UNCONTROLLED)
    sim.attend("A", utc(2024, 3, 1, 9, 5), utc(2024, 3, 1, 9, 10), utc(2024, 3, 1, 9, 40))
    sim.step("A", utc(2024, 3, 1, 10, 30), "cleared")
    # B: Friday 1 March, a call at 16:00 typed in at 16:03; controlled: arrived after 90 minutes (of 120).
    sim.phoned("B", utc(2024, 3, 1, 16, 3), utc(2024, 3, 1, 16, 0), CONTROLLED)
    sim.attend("B", utc(2024, 3, 1, 16, 20), utc(2024, 3, 1, 17, 30), utc(2024, 3, 1, 17, 45))
    # C: Saturday 2 March 03:00, uncontrolled: arrived after 80 minutes; the dispatcher says why.
    sim.report("C", utc(2024, 3, 2, 3, 0), UNCONTROLLED)
    sim.attend("C", utc(2024, 3, 2, 3, 10), utc(2024, 3, 2, 4, 20), utc(2024, 3, 2, 4, 50))
    sim.explain("C", utc(2024, 3, 2, 8, 0), "attendance", "Engineer delayed by a road closure on the A6")
    sim.review("A", utc(2024, 3, 4, 9, 0))
    sim.review("C", utc(2024, 3, 4, 9, 30))
    sim.review("B", utc(2024, 3, 4, 10, 5))
    # D: Tuesday 5 March 17:00:00 (after hours from 17:00), uncontrolled: arrived after exactly 15:00.
    sim.report("D", utc(2024, 3, 5, 17, 0), UNCONTROLLED)
    sim.attend("D", utc(2024, 3, 5, 17, 2), utc(2024, 3, 5, 17, 15), utc(2024, 3, 5, 17, 40))
    # E: Wednesday 6 March 07:59 (before business hours), uncontrolled: arrived after 15:01.
    sim.report("E", utc(2024, 3, 6, 7, 59), UNCONTROLLED)
    sim.attend("E", utc(2024, 3, 6, 8, 1), utc(2024, 3, 6, 8, 14, 1), utc(2024, 3, 6, 8, 40))
    sim.review("D", utc(2024, 3, 6, 8, 0))
    # F: Wednesday 6 March 12:00, controlled by the answers; the dispatcher makes it uncontrolled at
    # 12:02. Arrived after 80 minutes: late against 1 hour (it would have been in time against 2).
    sim.report("F", utc(2024, 3, 6, 12, 0), CONTROLLED)
    sim.override("F", utc(2024, 3, 6, 12, 2), "uncontrolled", "Caller not sure the valve is shut")
    sim.attend("F", utc(2024, 3, 6, 12, 10), utc(2024, 3, 6, 13, 20), utc(2024, 3, 6, 13, 40))
    sim.review("E", utc(2024, 3, 7, 9, 59))
    sim.review("F", utc(2024, 3, 7, 11, 0))
    # G: Monday 11 March 10:00, controlled, someone vulnerable present (the board's clock is 1 hour;
    # Ofgem's is still 2): arrived after 90 minutes.
    sim.report("G", utc(2024, 3, 11, 10, 0), {**CONTROLLED, "vulnerable_present": True})
    sim.attend("G", utc(2024, 3, 11, 10, 5), utc(2024, 3, 11, 11, 30), utc(2024, 3, 11, 11, 50))
    sim.review("G", utc(2024, 3, 12, 9, 0))
    # H: Thursday 14 March 20:00, uncontrolled. The engineer taps "arrived" at 21:05 (late); the
    # radio log shows 20:55, and the dispatcher corrects it: 55 minutes, in time. Never reviewed.
    sim.report("H", utc(2024, 3, 14, 20, 0), UNCONTROLLED)
    sim.attend("H", utc(2024, 3, 14, 20, 5), utc(2024, 3, 14, 21, 5), utc(2024, 3, 14, 21, 30))
    sim.correct("H", utc(2024, 3, 14, 21, 40), "arrived", utc(2024, 3, 14, 20, 55), "Radio log: on site 20:55")
    # I: Saturday 16 March 14:00, uncontrolled: arrived after 40 minutes, but made safe only after
    # 13 hours (Sunday 03:00), with a reason.
    sim.report("I", utc(2024, 3, 16, 14, 0), UNCONTROLLED)
    sim.attend("I", utc(2024, 3, 16, 14, 5), utc(2024, 3, 16, 14, 40), utc(2024, 3, 17, 3, 0))
    sim.explain("I", utc(2024, 3, 17, 8, 0), "make_safe", "Leak under the road: excavation before isolation")
    sim.review("I", utc(2024, 3, 18, 9, 0))
    # J: Wednesday 20 March 10:00, uncontrolled: dispatched, never attended, never made safe.
    sim.report("J", utc(2024, 3, 20, 10, 0), UNCONTROLLED)
    sim.dispatch("J", utc(2024, 3, 20, 10, 30))
    # K: Wednesday 20 March 11:00: stood down as maintenance at 11:20 (not an emergency).
    sim.report("K", utc(2024, 3, 20, 11, 0), UNCONTROLLED)
    sim.stand_down("K", utc(2024, 3, 20, 11, 20))
    sim.review("J", utc(2024, 3, 21, 9, 0))
    sim.review("K", utc(2024, 3, 21, 9, 30))
    # L: Thursday 28 March 19:00, uncontrolled: arrived after 20 minutes. Its review is due on
    # Tuesday 2 April (Good Friday and Easter Monday are bank holidays).
    sim.report("L", utc(2024, 3, 28, 19, 0), UNCONTROLLED)
    sim.attend("L", utc(2024, 3, 28, 19, 5), utc(2024, 3, 28, 19, 20), utc(2024, 3, 28, 19, 50))
    # M: Good Friday 29 March 11:00, controlled, reported by a logged-in customer: 25 minutes.
    sim.report("M", utc(2024, 3, 29, 11, 0), CONTROLLED, customer=True)
    sim.attend("M", utc(2024, 3, 29, 11, 5), utc(2024, 3, 29, 11, 25), utc(2024, 3, 29, 11, 50))
    # N: Sunday 31 March 00:50 GMT, uncontrolled; arrived 01:21 UTC = 02:21 BST: 31 minutes, not 91.
    sim.report("N", utc(2024, 3, 31, 0, 50), UNCONTROLLED)
    sim.attend("N", utc(2024, 3, 31, 0, 55), utc(2024, 3, 31, 1, 21), utc(2024, 3, 31, 1, 40))
    # O: Sunday 31 March 23:30 UTC = Monday 1 April 00:30 BST: April, not March.
    sim.report("O", utc(2024, 3, 31, 23, 30), UNCONTROLLED)
    sim.attend("O", utc(2024, 3, 31, 23, 32), utc(2024, 3, 31, 23, 40), utc(2024, 4, 1, 0, 10))
    # Reviews on Tuesday 2 April (BST: 10:00 local is 09:00 UTC).
    sim.review("O", utc(2024, 4, 2, 7, 0))
    sim.review("L", utc(2024, 4, 2, 8, 30))
    sim.review("M", utc(2024, 4, 2, 8, 59))
    sim.review("N", utc(2024, 4, 2, 9, 30))
    return sim
