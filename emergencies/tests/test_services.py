"""The rules of the emergency record, through its services: one record per emergency request from
every channel, classification, deadlines, the append-only log, corrections and effective times."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts import services as account_services
from core.exceptions import Conflict, Forbidden
from emergencies import services
from emergencies.models import AppendOnlyError, Emergency, EmergencyEvent, Stage
from testing.factories import CONTROLLED, UNCONTROLLED, gas_leak, make_dispatcher, make_engineer, report
from utility_services import services as request_services
from utility_services.models import RequestEvent, RequestType, ServiceRequest

pytestmark = pytest.mark.django_db
Kind = EmergencyEvent.Kind


@pytest.fixture
def dispatcher():
    return make_dispatcher(username="dispatch1")


@pytest.fixture
def field_engineer():
    return make_engineer(username="eng1")


def reported_minutes_ago(minutes: int, **kwargs):
    """A report made `minutes` ago (the clock travels back for it)."""
    with time_machine.travel(timezone.now() - timedelta(minutes=minutes), tick=False):
        return report(**kwargs)


def dispatched(emergency, dispatcher, engineer):
    services.emergency_dispatch(acting_user=dispatcher, emergency=emergency, engineer=engineer)
    emergency.refresh_from_db()
    return emergency


# --- Classification ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (services.Answers(meter_off=True, gas_escaping=False), "controlled"),
        (services.Answers(meter_off=True, gas_escaping=False, co_symptoms=False), "controlled"),
        (services.Answers(meter_off=True, gas_escaping=True), "uncontrolled"),  # still smelt
        (services.Answers(meter_off=False, gas_escaping=False), "uncontrolled"),  # not turned off
        (services.Answers(meter_off=True, gas_escaping=None), "uncontrolled"),  # did not know
        (services.Answers(meter_off=None, gas_escaping=False), "uncontrolled"),
        (services.Answers(meter_off=True, gas_escaping=False, co_symptoms=True), "uncontrolled"),  # CO symptoms
        (services.Answers(), "uncontrolled"),  # no answers at all (Open311, a reclassified request)
    ],
)
def test_classification_is_derived_from_the_answers(answers, expected):
    assert services.classify(answers) == expected
    emergency = report(answers=answers)
    assert emergency.derived_classification == emergency.classification == expected


def test_deadlines_are_one_or_two_hours_and_twelve_for_make_safe():
    controlled, uncontrolled = report(answers=CONTROLLED), report(answers=UNCONTROLLED)

    assert controlled.standard_deadline_at - controlled.received_at == timedelta(hours=2)
    assert controlled.deadline_at == controlled.standard_deadline_at
    assert uncontrolled.standard_deadline_at - uncontrolled.received_at == timedelta(hours=1)
    assert uncontrolled.make_safe_deadline_at - uncontrolled.received_at == timedelta(hours=12)


def test_someone_vulnerable_present_tightens_the_boards_clock_to_one_hour_but_not_the_standard():
    answers = services.Answers(meter_off=True, gas_escaping=False, vulnerable_present=True)
    emergency = report(answers=answers)

    assert emergency.classification == "controlled"
    assert emergency.is_vulnerable
    assert emergency.deadline_at - emergency.received_at == timedelta(hours=1)
    assert emergency.standard_deadline_at - emergency.received_at == timedelta(hours=2)


def test_a_customer_on_the_priority_services_register_is_flagged_vulnerable(customer):
    account_services.priority_services_register(
        acting_user=customer, user=customer, categories=["medical_equipment"], consent=True
    )
    emergency = report(reporter=customer, answers=CONTROLLED)

    assert emergency.on_priority_register and emergency.is_vulnerable
    assert emergency.deadline_at - emergency.received_at == timedelta(hours=1)
    assert report(answers=CONTROLLED).is_vulnerable is False


def test_a_dispatcher_overrides_the_classification_with_a_reason_and_the_deadline_moves(dispatcher):
    emergency = report(answers=CONTROLLED)

    with pytest.raises(ValidationError):
        services.emergency_override_classification(
            acting_user=dispatcher, emergency=emergency, classification="uncontrolled", reason="  "
        )
    event = services.emergency_override_classification(
        acting_user=dispatcher, emergency=emergency, classification="uncontrolled", reason="Caller unsure; smell again."
    )
    emergency.refresh_from_db()

    assert event.data == {"from": "controlled", "to": "uncontrolled"}
    assert emergency.classification == "uncontrolled" and emergency.derived_classification == "controlled"
    assert emergency.deadline_at - emergency.received_at == timedelta(hours=1)
    with pytest.raises(Conflict):
        services.emergency_override_classification(
            acting_user=dispatcher, emergency=emergency, classification="uncontrolled", reason="again"
        )


# --- One record per emergency request, from every channel ----------------------------------


@pytest.mark.parametrize("channel", list(ServiceRequest.Channel.values))
def test_every_channel_gets_a_record_in_the_submission_transaction(customer, channel):
    service_request = request_services.service_request_submit(
        customer=customer, request_type=gas_leak(), details="Smell of gas", channel=channel
    )
    emergency = Emergency.objects.get(service_request=service_request)

    assert emergency.reference == service_request.reference
    assert emergency.channel == channel
    assert emergency.received_at == service_request.submitted_at
    (receipt,) = emergency.events.all()
    assert receipt.kind == Kind.RECEIPT and receipt.data["channel"] == channel


def test_a_non_emergency_request_gets_no_record(customer):
    service_request = request_services.service_request_submit(
        customer=customer, request_type=RequestType.objects.get(name="Maintenance"), details="Meter"
    )
    assert not Emergency.objects.filter(service_request=service_request).exists()


def test_a_failing_record_rolls_back_the_request(customer):
    too_early = timezone.now() - timedelta(days=3)
    before = ServiceRequest.objects.count()
    with pytest.raises(ValidationError):
        services.emergency_report(
            reporter=None,
            request_type=gas_leak(),
            phone="+441632960999",
            address="1 Gas Street",
            entered_by=make_dispatcher(),
            received_at=too_early,
            channel="phone",
        )
    assert ServiceRequest.objects.count() == before
    assert not Emergency.objects.exists()


def test_reclassifying_a_request_as_an_emergency_opens_a_record_from_its_submission(agent, customer):
    service_request = request_services.service_request_submit(
        customer=customer, request_type=RequestType.objects.get(name="Maintenance"), details="Odd smell by the meter"
    )
    request_services.service_request_update(acting_user=agent, service_request=service_request, request_type=gas_leak())
    emergency = Emergency.objects.get(service_request=service_request)

    assert emergency.received_at == service_request.submitted_at
    assert emergency.events.get().actor == agent

    # Reclassified away: stood down (closed, kept); and back: reinstated, the same record.
    request_services.service_request_update(
        acting_user=agent, service_request=service_request, request_type=RequestType.objects.get(name="Other")
    )
    emergency.refresh_from_db()
    assert emergency.stage == Stage.STOOD_DOWN and emergency.closed_at is not None
    request_services.service_request_update(acting_user=agent, service_request=service_request, request_type=gas_leak())
    emergency.refresh_from_db()
    assert emergency.stage == Stage.RECEIVED and emergency.closed_at is None
    assert Emergency.objects.filter(service_request=service_request).count() == 1
    assert [e.kind for e in emergency.events.all()] == ["receipt", "stood_down", "reinstated"]


def test_an_emergency_request_cannot_be_deleted(admin_user):
    emergency = report()
    with pytest.raises(Conflict):
        request_services.service_request_delete(acting_user=admin_user, service_request=emergency.service_request)
    assert ServiceRequest.objects.filter(pk=emergency.service_request_id).exists()


# --- The response and who may record it -----------------------------------------------------


def test_the_response_runs_dispatch_to_cleared_and_closes_the_record(dispatcher, field_engineer):
    emergency = dispatched(report(answers=UNCONTROLLED), dispatcher, field_engineer)
    assert emergency.service_request.status == "In Progress"
    assert services.allowed_steps(emergency) == ["en_route", "arrived"]

    for step in ("en_route", "arrived", "made_safe", "cleared"):
        services.emergency_record_step(acting_user=field_engineer, emergency=emergency, step=step)
        emergency.refresh_from_db()

    assert emergency.stage == Stage.CLEARED
    assert emergency.closed_at == emergency.cleared_at
    assert emergency.received_at <= emergency.dispatched_at <= emergency.arrived_at <= emergency.made_safe_at
    assert services.allowed_steps(emergency) == []


def test_steps_follow_their_order(dispatcher, field_engineer):
    emergency = report()
    with pytest.raises(Conflict) as refused:
        services.emergency_record_step(acting_user=dispatcher, emergency=emergency, step="arrived")
    assert refused.value.details["allowed_steps"] == []

    dispatched(emergency, dispatcher, field_engineer)
    with pytest.raises(Conflict):
        services.emergency_record_step(acting_user=field_engineer, emergency=emergency, step="made_safe")
    services.emergency_record_step(acting_user=field_engineer, emergency=emergency, step="arrived")
    with pytest.raises(Conflict):  # twice is a correction, not a second arrival
        services.emergency_record_step(acting_user=field_engineer, emergency=emergency, step="arrived")


def test_a_deferred_repair_needs_a_reason_closes_the_record_and_may_be_cleared_later(dispatcher, field_engineer):
    emergency = dispatched(report(), dispatcher, field_engineer)
    for step in ("arrived", "made_safe"):
        services.emergency_record_step(acting_user=field_engineer, emergency=emergency, step=step)
    with pytest.raises(ValidationError):
        services.emergency_record_step(acting_user=field_engineer, emergency=emergency, step="deferred")

    services.emergency_record_step(
        acting_user=field_engineer, emergency=emergency, step="deferred", reason="Road closure needed; capped."
    )
    emergency.refresh_from_db()
    assert emergency.stage == Stage.DEFERRED and emergency.closed_at == emergency.deferred_at
    assert not Emergency.objects.open().filter(pk=emergency.pk).exists()
    assert services.allowed_steps(emergency) == ["cleared"]


def test_only_the_dispatched_engineer_records_steps_and_redispatch_hands_over(dispatcher, field_engineer):
    other = make_engineer(username="eng2")
    emergency = dispatched(report(), dispatcher, field_engineer)
    with pytest.raises(Forbidden):
        services.emergency_record_step(acting_user=other, emergency=emergency, step="en_route")

    services.emergency_record_step(acting_user=field_engineer, emergency=emergency, step="arrived")
    dispatched(emergency, dispatcher, other)
    assert emergency.engineer == other
    assert list(Emergency.objects.for_engineer(field_engineer)) == []
    with pytest.raises(Forbidden):
        services.emergency_record_step(acting_user=field_engineer, emergency=emergency, step="made_safe")
    # The second engineer may arrive too; the record keeps the first arrival.
    first_arrival = emergency.arrived_at
    services.emergency_record_step(acting_user=other, emergency=emergency, step="arrived")
    emergency.refresh_from_db()
    assert emergency.arrived_at == first_arrival


def test_dispatch_rules(dispatcher, field_engineer, customer, agent):
    emergency = report()
    with pytest.raises(Forbidden):
        services.emergency_dispatch(acting_user=field_engineer, emergency=emergency, engineer=field_engineer)
    for not_an_engineer in (customer, agent):
        with pytest.raises(ValidationError):
            services.emergency_dispatch(acting_user=dispatcher, emergency=emergency, engineer=not_an_engineer)
    dispatched(emergency, dispatcher, field_engineer)
    with pytest.raises(Conflict):
        services.emergency_dispatch(acting_user=dispatcher, emergency=emergency, engineer=field_engineer)


def test_customers_and_engineers_cannot_use_dispatcher_services(customer, field_engineer):
    emergency = report()
    for user in (customer, field_engineer):
        with pytest.raises(Forbidden):
            services.emergency_override_classification(
                acting_user=user, emergency=emergency, classification="controlled", reason="x"
            )
        with pytest.raises(Forbidden):
            services.emergency_record_regulator_notified(acting_user=user, emergency=emergency, regulator="HSE")
        with pytest.raises(Forbidden):
            services.emergency_record(acting_user=user, emergency=emergency, kind="note", body="x")


def test_only_supervisors_review(dispatcher, admin_user, settings):
    emergency = report()
    with pytest.raises(Forbidden):
        services.emergency_review(acting_user=dispatcher, emergency=emergency, comment="Fine")
    services.emergency_review(acting_user=admin_user, emergency=emergency, comment="Checked: response in time.")
    settings.EMERGENCY_SUPERVISOR_USERNAMES = [dispatcher.username]
    services.emergency_review(acting_user=dispatcher, emergency=emergency, comment="Also checked.")
    emergency.refresh_from_db()

    first_review = emergency.events.filter(kind="review").order_by("recorded_at", "id").first()
    assert emergency.reviewed_at == first_review.recorded_at


def test_times_cannot_be_in_the_future_or_before_the_receipt(dispatcher, field_engineer):
    emergency = report()
    with pytest.raises(ValidationError):
        services.emergency_dispatch(
            acting_user=dispatcher,
            emergency=emergency,
            engineer=field_engineer,
            occurred_at=timezone.now() + timedelta(hours=1),
        )
    with pytest.raises(ValidationError):
        services.emergency_dispatch(
            acting_user=dispatcher,
            emergency=emergency,
            engineer=field_engineer,
            occurred_at=emergency.received_at - timedelta(minutes=1),
        )


def test_incidents_and_the_regulator(dispatcher):
    emergency = reported_minutes_ago(10)
    with pytest.raises(ValidationError):
        services.emergency_record_incident(acting_user=dispatcher, emergency=emergency, description="nothing")
    services.emergency_record_incident(acting_user=dispatcher, emergency=emergency, fire=True, evacuation=True)
    told = timezone.now() - timedelta(seconds=30)
    services.emergency_record_regulator_notified(
        acting_user=dispatcher, emergency=emergency, regulator="Railroad Commission of Texas", occurred_at=told
    )
    emergency.refresh_from_db()

    assert emergency.has_incident
    assert emergency.regulator_notified_at == told
    incident = emergency.events.get(kind="incident")
    assert incident.data == {"injury": False, "fire": True, "explosion": False, "evacuation": True}


# --- Append-only ------------------------------------------------------------------------------


def test_events_cannot_be_changed_or_deleted_through_the_orm():
    event = report().events.get()
    event.body = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        EmergencyEvent.objects.filter(pk=event.pk).update(body="rewritten")
    with pytest.raises(AppendOnlyError):
        EmergencyEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        Emergency.objects.all().delete()


def test_the_database_refuses_to_update_an_event():
    """Triggers (migration 0002) stop every other path, raw SQL included."""
    event = report().events.get()
    # QuerySet.update is refused in Python; go around it as a script would.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE emergencies_emergencyevent SET body = %s WHERE id = %s", ["x", event.pk])
    assert EmergencyEvent.objects.get(pk=event.pk).body == ""


def test_the_database_requires_a_reason_and_a_target_for_a_correction():
    emergency = report()
    with pytest.raises(DatabaseError), transaction.atomic():
        EmergencyEvent.objects.create(emergency=emergency, kind="correction", occurred_at=timezone.now(), reason="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        EmergencyEvent.objects.create(emergency=emergency, kind="deferred", occurred_at=timezone.now())
    with pytest.raises(DatabaseError), transaction.atomic():  # a second receipt
        EmergencyEvent.objects.create(
            emergency=emergency, kind="receipt", occurred_at=timezone.now(), once_key="receipt"
        )


# --- Corrections and effective times ----------------------------------------------------------


def test_a_wrong_time_is_corrected_by_a_new_entry_and_the_latest_correction_wins(dispatcher, field_engineer):
    emergency = dispatched(reported_minutes_ago(30), dispatcher, field_engineer)
    services.emergency_record_step(acting_user=field_engineer, emergency=emergency, step="arrived")
    arrival = emergency.events.get(kind="arrived")
    recorded = arrival.occurred_at

    with pytest.raises(ValidationError):
        services.emergency_correct_time(
            acting_user=dispatcher, emergency=emergency, event=arrival, occurred_at=recorded, reason=""
        )
    first = recorded - timedelta(minutes=20)
    services.emergency_correct_time(
        acting_user=dispatcher, emergency=emergency, event=arrival, occurred_at=first, reason="Tapped late"
    )
    second = recorded - timedelta(minutes=10)
    correction = services.emergency_correct_time(
        acting_user=dispatcher, emergency=emergency, event=arrival, occurred_at=second, reason="Radio log says so"
    )
    emergency.refresh_from_db()
    arrival.refresh_from_db()

    assert arrival.occurred_at == recorded  # never edited
    assert correction.corrects == arrival and correction.reason == "Radio log says so"
    assert emergency.arrived_at == second
    assert services.effective_time_of(arrival) == second
    # The timeline shows the correction to staff only.
    mirrored = RequestEvent.objects.filter(field="correction").last()
    assert mirrored.is_internal and "Radio log says so" in mirrored.body


def test_a_receipt_may_be_corrected_earlier_but_not_after_it_was_recorded(dispatcher):
    emergency = report(answers=UNCONTROLLED)
    receipt = emergency.events.get(kind="receipt")
    with pytest.raises(ValidationError):
        services.emergency_correct_time(
            acting_user=dispatcher,
            emergency=emergency,
            event=receipt,
            occurred_at=receipt.recorded_at + timedelta(minutes=1),
            reason="x",
        )
    earlier = receipt.recorded_at - timedelta(minutes=7)
    services.emergency_correct_time(
        acting_user=dispatcher, emergency=emergency, event=receipt, occurred_at=earlier, reason="Call came in at 7 past"
    )
    emergency.refresh_from_db()

    assert emergency.received_at == earlier
    assert emergency.deadline_at == earlier + timedelta(hours=1)


def test_only_timed_entries_of_this_record_can_be_corrected(dispatcher):
    emergency, other = report(), report()
    note = services.emergency_record(acting_user=dispatcher, emergency=emergency, kind="note", body="Called back")
    with pytest.raises(ValidationError):
        services.emergency_correct_time(
            acting_user=dispatcher, emergency=emergency, event=note, occurred_at=timezone.now(), reason="x"
        )
    with pytest.raises(ValidationError):
        services.emergency_correct_time(
            acting_user=dispatcher,
            emergency=emergency,
            event=other.events.get(),
            occurred_at=timezone.now(),
            reason="x",
        )


def test_summary_columns_equal_the_times_recomputed_from_the_events_in_sql(dispatcher, field_engineer):
    emergency = dispatched(report(), dispatcher, field_engineer)
    for step in ("en_route", "arrived", "made_safe"):
        services.emergency_record_step(acting_user=field_engineer, emergency=emergency, step=step)
    dispatch = emergency.events.get(kind="dispatched")
    services.emergency_correct_time(
        acting_user=dispatcher,
        emergency=emergency,
        event=dispatch,
        occurred_at=emergency.received_at + timedelta(microseconds=1),
        reason="Dispatched on the radio first",
    )
    report()  # another record, not dispatched

    for row in Emergency.objects.with_effective_times():
        for column in EmergencyEvent.TIMED_KINDS.values():
            assert getattr(row, f"effective_{column}") == getattr(row, column), (row.reference, column)
    emergency.refresh_from_db()
    assert emergency.dispatched_at == emergency.received_at + timedelta(microseconds=1)


# --- The timeline ---------------------------------------------------------------------------


def test_the_reporter_sees_the_public_steps_and_advice_only(customer, dispatcher, field_engineer):
    emergency = dispatched(report(reporter=customer), dispatcher, field_engineer)
    services.emergency_record_step(acting_user=field_engineer, emergency=emergency, step="en_route")
    services.emergency_record(acting_user=field_engineer, emergency=emergency, kind="advice", body="Keep windows open")
    services.emergency_record(acting_user=field_engineer, emergency=emergency, kind="note", body="Dog in garden")
    services.emergency_override_classification(
        acting_user=dispatcher, emergency=emergency, classification="controlled", reason="Caller confirmed"
    )

    timeline = RequestEvent.objects.filter(service_request=emergency.service_request, kind="emergency")
    public = {event.field: event for event in timeline if not event.is_internal}
    internal = {event.field for event in timeline if event.is_internal}
    assert set(public) == {"receipt", "dispatched", "en_route", "advice"}
    assert public["en_route"].new_value == "An engineer is on the way"
    assert public["advice"].body == "Keep windows open"
    assert internal == {"note", "classification_override"}


def test_an_engineer_named_on_a_record_is_deactivated_not_deleted(admin_user, dispatcher, field_engineer):
    dispatched(report(), dispatcher, field_engineer)
    with pytest.raises(Conflict) as refused:
        account_services.user_delete(acting_user=admin_user, user=field_engineer)
    assert "records that must be kept" in refused.value.message
    assert EmergencyEvent.objects.filter(engineer=field_engineer).exists()
