"""R8-R15, A1-A3, C2: threads, pause, leave, reactivation, end, shifts, hands and replies.

Defaults of tests/scripted.py: response 10 s, compose 5 m, wrap-up 1 m, resolve probability
1 (End after each reply), hold for reply 1 h. So an email at 0 is reserved at 0, accepted at
10, answered at 310 and completed at 370 unless a test says otherwise.
"""

from __future__ import annotations

from tests.scripted import declines_from, details, group, replication, rows, trace

OFFERS = ("reservation.created", "reservation.accepted", "reservation.rejected",
          "reservation.timeout", "reservation.canceled")

DAY = 86400.0
EIGHT = 8 * 3600.0
WORKDAY = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
           "start": "08:00", "end": "17:00"}
AWAITING = {"handling": {"resolve_probability": 0}}  # the agent waits for the customer
RESEARCH_1H = {"handling": {"research": {"probability": 1, "duration": "1h"}}}
PAUSE = {"pause": {"enabled": True, "expiry": "1d"}}
LEAVE = {"leave": {"enabled": True, "window": "1d"}}
REPLIES_1H = {"reply_probability": {"awaiting": 1, "resolved": 0}, "reply_delay": "1h"}


# R8: one thread per task -------------------------------------------------------------------

def test_r08_reply_to_a_pending_task_is_appended() -> None:
    rep = replication(agents=[group(shift=WORKDAY)])
    rep.send_new(0, "email")
    rep.send_reply(100, conversation=1)
    frame = rep.run(until=EIGHT).to_frame()
    assert rows(frame, "message.inbound", "task.created") == [
        (0.0, "message.inbound", None, None),
        (0.0, "task.created", 1, None),
        (100.0, "message.inbound", 1, None),
    ]
    assert details(frame, "message.inbound") == ["new", "appended"]


def test_r08_reply_to_a_reserved_task_is_appended_and_answered_once() -> None:
    rep = replication()
    rep.send_new(0, "email")
    rep.send_reply(5, conversation=1)  # while the offer is on a-1's screen
    assert trace(rep, "message.inbound", "task.created", "message.outbound") == [
        (0.0, "message.inbound", None, None),
        (0.0, "task.created", 1, None),
        (5.0, "message.inbound", 1, "a-1"),
        (310.0, "message.outbound", 1, "a-1"),
    ]


def test_r08_reply_while_the_agent_composes_is_covered_by_that_reply() -> None:
    rep = replication()
    rep.send_new(0, "email")
    rep.send_reply(100, conversation=1)
    assert trace(rep, "message.inbound", "message.outbound", "task.created") == [
        (0.0, "message.inbound", None, None),
        (0.0, "task.created", 1, None),
        (100.0, "message.inbound", 1, "a-1"),
        (310.0, "message.outbound", 1, "a-1"),
    ]


def test_r08_reply_to_a_held_task_is_appended_and_answered_in_the_same_task() -> None:
    rep = replication(agents=[group(**AWAITING)])
    rep.send_new(0, "email")
    rep.send_reply(1000, conversation=1)
    # Held from 310 for up to 1 h; the reply at 1000 is answered at 1300, then held until 4900.
    assert trace(rep, "message.inbound", "message.outbound", "task.created", "task.wrapup",
                 "task.completed") == [
        (0.0, "message.inbound", None, None),
        (0.0, "task.created", 1, None),
        (310.0, "message.outbound", 1, "a-1"),
        (1000.0, "message.inbound", 1, "a-1"),
        (1300.0, "message.outbound", 1, "a-1"),
        (4900.0, "task.wrapup", 1, "a-1"),
        (4960.0, "task.completed", 1, "a-1"),
    ]


def test_r08_reply_to_a_paused_task_is_appended() -> None:
    rep = replication(agents=[group(**RESEARCH_1H)], flex=PAUSE)
    rep.send_new(0, "email")
    rep.send_reply(100, conversation=1)
    assert trace(rep, "message.inbound", "task.paused", "task.resumed", "message.outbound",
                 "task.created") == [
        (0.0, "message.inbound", None, None),
        (0.0, "task.created", 1, None),
        (10.0, "task.paused", 1, "a-1"),
        (100.0, "message.inbound", 1, "a-1"),
        (3610.0, "task.resumed", 1, "a-1"),
        (3910.0, "message.outbound", 1, "a-1"),
    ]


# R9, R10: pause ----------------------------------------------------------------------------

def test_r09_pause_releases_the_slot_and_resume_waits_for_one() -> None:
    rep = replication(agents=[group(**RESEARCH_1H)], flex=PAUSE)
    rep.send_new(0, "email")  # paused at 10, research done 3610
    rep.send_new(100, "email")  # taken while task 1 is paused; research done 3710
    rep.send_new(3800, "email")  # a-1 wants to resume task 2: no offers until it has
    assert trace(rep, "reservation.created", "task.paused", "task.resumed", "task.completed",
                 until=5000) == [
        (0.0, "reservation.created", 1, "a-1"),
        (10.0, "task.paused", 1, "a-1"),
        (100.0, "reservation.created", 2, "a-1"),
        (110.0, "task.paused", 2, "a-1"),
        (3610.0, "task.resumed", 1, "a-1"),
        (3970.0, "task.completed", 1, "a-1"),
        (3970.0, "task.resumed", 2, "a-1"),
        (4330.0, "task.completed", 2, "a-1"),
        (4330.0, "reservation.created", 3, "a-1"),
        (4340.0, "task.paused", 3, "a-1"),
    ]


def test_r09_pause_is_not_used_when_disabled() -> None:
    rep = replication(agents=[group(**RESEARCH_1H)])
    rep.send_new(0, "email")
    rep.send_new(100, "email")
    # Without Pause the task holds its slot through research (A3): task 2 waits for it.
    assert trace(rep, "reservation.created", "message.outbound", "task.paused") == [
        (0.0, "reservation.created", 1, "a-1"),
        (3910.0, "message.outbound", 1, "a-1"),
        (3970.0, "reservation.created", 2, "a-1"),
        (3980.0 + 3600 + 300, "message.outbound", 2, "a-1"),
    ]


def test_r10_expired_pause_goes_back_to_the_queue_for_any_agent() -> None:
    research_2d = {"handling": {"research": {"probability": 1, "duration": "2d"}}}
    rep = replication(agents=[group(count=2, **research_2d)], flex=PAUSE)
    rep.send_new(0, "email")
    assert trace(rep, "reservation.created", "reservation.accepted", "task.paused",
                 "task.pause-expired", until=DAY + 100) == [
        (0.0, "reservation.created", 1, "a-1"),
        (10.0, "reservation.accepted", 1, "a-1"),
        (10.0, "task.paused", 1, "a-1"),
        (DAY + 10, "task.pause-expired", 1, "a-1"),
        (DAY + 10, "reservation.created", 1, "a-2"),  # longest idle; a-1 may get it too
        (DAY + 20, "reservation.accepted", 1, "a-2"),
        (DAY + 20, "task.paused", 1, "a-2"),
    ]


def test_r10_research_of_an_expired_pause_does_not_resume_a_later_pause() -> None:
    research_2d = {"handling": {"research": {"probability": 1, "duration": "2d",
                                             "after_expiry": "restart"}}}
    rep = replication(agents=[group(**research_2d)], flex=PAUSE)
    rep.send_new(0, "email")
    # With `restart` each pause waits for 2 d of research again. The first research would end
    # at 2 d + 10, inside the second pause (from 1 d + 20): it belongs to the expired pause
    # and must not resume the task.
    assert trace(rep, "task.paused", "task.resumed", "task.pause-expired",
                 until=2 * DAY + 40) == [
        (10.0, "task.paused", 1, "a-1"),
        (DAY + 10, "task.pause-expired", 1, "a-1"),
        (DAY + 20, "task.paused", 1, "a-1"),
        (2 * DAY + 20, "task.pause-expired", 1, "a-1"),
        (2 * DAY + 30, "task.paused", 1, "a-1"),
    ]


def test_r10_kept_research_continues_where_it_stood_after_an_expiry() -> None:
    research = {"handling": {"research": {"probability": 1, "duration": "36h"}}}
    rep = replication(agents=[group(**research)], flex=PAUSE)
    rep.send_new(0, "email")
    frame = rep.run(until=2 * DAY).to_frame()
    # 24 h of the 36 h were done when the pause expired: the next pause (the same agent, the
    # only one) needs the other 12 h, then the task is resumed and answered.
    assert rows(frame, "task.paused", "task.resumed", "task.pause-expired",
                "message.outbound") == [
        (10.0, "task.paused", 1, "a-1"),
        (DAY + 10, "task.pause-expired", 1, "a-1"),
        (DAY + 20, "task.paused", 1, "a-1"),
        (DAY + 20 + 12 * 3600, "task.resumed", 1, "a-1"),
        (DAY + 320 + 12 * 3600, "message.outbound", 1, "a-1"),
    ]
    assert details(frame, "task.pause-expired") == ["researching"]


def test_r10_finished_research_is_not_done_again_after_an_off_duty_expiry() -> None:
    weekdays = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}
    research = {"handling": {"research": {"probability": 1, "duration": "10h"}}}
    rep = replication(agents=[group(shift=weekdays, **research)],
                      flex={**PAUSE, "task_ttl": "3d"}, horizon="8d")
    friday, monday = 4 * DAY, 7 * DAY
    rep.send_new(friday + EIGHT, "email")
    frame = rep.run().to_frame()
    # Research is done on Friday at 18:00:10, after the shift: the agent cannot resume before
    # the expiry on Saturday 08:00:10. On Monday the task is offered again and answered
    # without a second research.
    assert rows(frame, "reservation.accepted", "task.paused", "task.pause-expired",
                "message.outbound") == [
        (friday + EIGHT + 10, "reservation.accepted", 1, "a-1"),
        (friday + EIGHT + 10, "task.paused", 1, "a-1"),
        (friday + DAY + EIGHT + 10, "task.pause-expired", 1, "a-1"),
        (monday + EIGHT + 10, "reservation.accepted", 1, "a-1"),
        (monday + EIGHT + 310, "message.outbound", 1, "a-1"),
    ]
    assert details(frame, "task.pause-expired") == ["off-duty"]


def test_r09_r10_a_pause_expires_when_no_slot_frees_to_resume() -> None:
    holding = {"handling": {"research": {"probability": 1, "duration": "1h"},
                            "resolve_probability": 0, "hold_for_reply": "2d"}}
    rep = replication(agents=[group(**holding)], flex=PAUSE)
    rep.send_new(0, "email")  # task 1: paused at 10, research done at 3610
    rep.send_new(100, "email")  # task 2: paused at 110, research done at 3710
    frame = rep.run(until=DAY + 200).to_frame()
    # Task 1 resumes into the free slot and is held for the customer for 2 d; task 2's
    # research is done, the agent is on duty, but no slot frees before its pause expires.
    assert rows(frame, "task.paused", "task.resumed", "task.pause-expired") == [
        (10.0, "task.paused", 1, "a-1"),
        (110.0, "task.paused", 2, "a-1"),
        (3610.0, "task.resumed", 1, "a-1"),
        (DAY + 110, "task.pause-expired", 2, "a-1"),
    ]
    assert details(frame, "task.pause-expired") == ["no-slot"]


def test_r06_r10_pause_expiry_restarts_the_ttl_clock_and_runs_off_shift() -> None:
    monday = {"days": ["mon"], "start": "08:00", "end": "17:00"}
    research_2d = {"handling": {"research": {"probability": 1, "duration": "2d"}}}
    rep = replication(agents=[group(shift=monday, **research_2d)],
                      flex={"task_ttl": "1h", **PAUSE})
    rep.send_new(EIGHT, "email")  # paused at 08:00:10; a-1 is off from 17:00 until next Mon
    assert trace(rep, "task.pause-expired", "task.canceled") == [
        (EIGHT + 10 + DAY, "task.pause-expired", 1, "a-1"),
        (EIGHT + 10 + DAY + 3600, "task.canceled", 1, None),
    ]


# R11-R13: leave and reactivation -----------------------------------------------------------

def test_r11_leave_wraps_up_the_task_and_makes_the_conversation_inactive() -> None:
    rep = replication(agents=[group(**AWAITING)], flex=LEAVE)
    rep.send_new(0, "email")
    frame = rep.run(until=3600).to_frame()
    assert rows(frame, "message.outbound", "task.wrapup", "task.completed",
                "conversation.inactive", "conversation.closed") == [
        (310.0, "message.outbound", 1, "a-1"),
        (310.0, "task.wrapup", 1, "a-1"),
        (310.0, "conversation.inactive", 1, "a-1"),
        (370.0, "task.completed", 1, "a-1"),
    ]
    assert details(frame, "task.wrapup") == ["leave"]


def test_r11_without_leave_the_agent_holds_then_ends() -> None:
    rep = replication(agents=[group(**AWAITING)])
    rep.send_new(0, "email")
    frame = rep.run().to_frame()
    assert rows(frame, "message.outbound", "task.wrapup", "task.completed",
                "conversation.inactive", "conversation.closed") == [
        (310.0, "message.outbound", 1, "a-1"),
        (3910.0, "task.wrapup", 1, "a-1"),
        (3970.0, "task.completed", 1, "a-1"),
        (3970.0, "conversation.closed", 1, None),
    ]
    assert details(frame, "task.wrapup") == ["end"]


def test_r11_leave_probability_zero_holds_even_when_leave_is_enabled() -> None:
    rep = replication(agents=[group(handling={"resolve_probability": 0,
                                              "leave_probability": 0})], flex=LEAVE)
    rep.send_new(0, "email")
    assert details(rep.run().to_frame(), "task.wrapup") == ["end"]


def test_r12_reply_reactivates_with_a_new_task_routed_to_any_agent() -> None:
    rep = replication(agents=[group(count=2, **AWAITING)], flex=LEAVE, customers=REPLIES_1H)
    rep.send_new(0, "email")
    frame = rep.run(until=7000).to_frame()
    assert rows(frame, "conversation.inactive", "conversation.reactivated", "task.created",
                "reservation.created") == [
        (0.0, "task.created", 1, None),
        (0.0, "reservation.created", 1, "a-1"),
        (310.0, "conversation.inactive", 1, "a-1"),
        (3910.0, "conversation.reactivated", 1, None),
        (3910.0, "task.created", 2, None),
        (3910.0, "reservation.created", 2, "a-2"),  # not a-1, who left: a-2 is longer idle
        (4220.0, "conversation.inactive", 2, "a-2"),
    ]
    assert set(frame["conversation"].dropna()) == {1}
    assert details(frame, "message.inbound") == ["new", "reactivation"]


def test_r12_previous_agent_routing_prefers_the_agent_who_left() -> None:
    rep = replication(agents=[group(count=2, **AWAITING)], customers=REPLIES_1H,
                      flex={**LEAVE, "reactivation_routing": "previous-agent"})
    rep.send_new(0, "email")
    assert trace(rep, "reservation.created", until=7000) == [
        (0.0, "reservation.created", 1, "a-1"),
        (3910.0, "reservation.created", 2, "a-1"),
    ]


def test_r12_r04_preference_for_the_previous_agent_ends_when_it_declines() -> None:
    rep = replication(agents=[group(count=2, **AWAITING)], customers=REPLIES_1H,
                      flex={**LEAVE, "reactivation_routing": "previous-agent"})
    rep.send_new(0, "email")
    declines_from(rep, "a-1", at=3600)  # a-1 left at 310, then declines the reactivation
    # After a-1 declines task 2 once the task goes to any agent (R4), here a-2; it is not
    # offered to a-1 again and again while a-2 sits idle.
    assert trace(rep, *OFFERS, until=4000) == [
        (0.0, "reservation.created", 1, "a-1"),
        (10.0, "reservation.accepted", 1, "a-1"),
        (3910.0, "reservation.created", 2, "a-1"),
        (3920.0, "reservation.rejected", 2, "a-1"),
        (3920.0, "reservation.created", 2, "a-2"),
        (3930.0, "reservation.accepted", 2, "a-2"),
    ]


def test_r13_no_reply_within_the_window_closes_the_conversation() -> None:
    rep = replication(agents=[group(**AWAITING)],
                      flex={"leave": {"enabled": True, "window": "1h"}})
    rep.send_new(0, "email")
    frame = rep.run().to_frame()
    assert rows(frame, "conversation.inactive", "conversation.closed") == [
        (310.0, "conversation.inactive", 1, "a-1"),
        (3910.0, "conversation.closed", 1, None),
    ]
    assert details(frame, "conversation.closed") == ["window"]


# R14, R15: end, wrap-up, stranded replies and follow-ups -----------------------------------

def test_r14_end_wraps_up_then_complete_closes_the_conversation() -> None:
    rep = replication()
    rep.send_new(0, "email")
    frame = rep.run().to_frame()
    assert rows(frame, "message.outbound", "task.wrapup", "task.completed",
                "conversation.closed") == [
        (310.0, "message.outbound", 1, "a-1"),
        (310.0, "task.wrapup", 1, "a-1"),
        (370.0, "task.completed", 1, "a-1"),
        (370.0, "conversation.closed", 1, None),
    ]
    assert details(frame, "task.wrapup") == ["end"]
    assert details(frame, "conversation.closed") == ["resolved"]


def test_r15_reply_during_wrapup_after_end_is_stranded() -> None:
    rep = replication(customers={"reply_probability": {"resolved": 1}, "reply_delay": "30s"})
    rep.send_new(0, "email")
    frame = rep.run(until=3600).to_frame()
    assert rows(frame, "message.inbound", "task.created", "task.completed") == [
        (0.0, "message.inbound", None, None),
        (0.0, "task.created", 1, None),
        (340.0, "message.inbound", 1, "a-1"),
        (370.0, "task.completed", 1, "a-1"),
    ]
    assert details(frame, "message.inbound") == ["new", "stranded"]


def test_r15_reply_to_a_closed_conversation_starts_a_follow_up() -> None:
    rep = replication(customers={"reply_probability": {"resolved": 1}, "reply_delay": "1h"})
    rep.send_new(0, "email")
    frame = rep.run(until=4000).to_frame()
    created = frame[frame["event"] == "conversation.created"]
    assert list(created["time"]) == [0.0, 3910.0]
    assert list(created["conversation"]) == [1, 2]
    assert list(created["reason"].astype(str)) == ["new", "follow-up"]
    assert rows(frame, "task.created") == [(0.0, "task.created", 1, None),
                                           (3910.0, "task.created", 2, None)]


# A1: shifts and absences ---------------------------------------------------------------------

def test_a1_pending_reservation_at_shift_end_is_rejected() -> None:
    rep = replication(agents=[group(shift=WORKDAY, reservation={"response_time": "3m"})],
                      flex={"reservation_timeout": "5m"})
    rep.send_new(17 * 3600 - 60, "email")
    frame = rep.run(until=DAY + EIGHT + 600).to_frame()
    assert rows(frame, "reservation.created", "reservation.rejected", "reservation.accepted",
                "worker.activity.update") == [
        (EIGHT, "worker.activity.update", None, "a-1"),
        (17 * 3600 - 60, "reservation.created", 1, "a-1"),
        (17 * 3600, "worker.activity.update", None, "a-1"),
        (17 * 3600, "reservation.rejected", 1, "a-1"),
        (DAY + EIGHT, "worker.activity.update", None, "a-1"),
        (DAY + EIGHT, "reservation.created", 1, "a-1"),
        (DAY + EIGHT + 180, "reservation.accepted", 1, "a-1"),
    ]
    assert details(frame, "reservation.rejected") == ["shift-end"]


def test_a1_every_pending_reservation_at_shift_end_is_rejected_in_task_order() -> None:
    """An agent with four slots: task 1's offer is answered before the shift ends, tasks 2-4
    are still on its screen then (task 4 offered after task 1's was answered), and all three
    are rejected at the end, by task id."""
    rep = replication(agents=[group(capacity=4, shift=WORKDAY,
                                    reservation={"response_time": "3m"})],
                      flex={"reservation_timeout": "5m"})
    end = 17 * 3600.0
    for at in (end - 240, end - 150, end - 120, end - 30):
        rep.send_new(at, "email")
    frame = rep.run(until=end + 1).to_frame()
    assert rows(frame, "reservation.created", "reservation.accepted",
                "reservation.rejected") == [
        (end - 240, "reservation.created", 1, "a-1"),
        (end - 150, "reservation.created", 2, "a-1"),
        (end - 120, "reservation.created", 3, "a-1"),
        (end - 60, "reservation.accepted", 1, "a-1"),
        (end - 30, "reservation.created", 4, "a-1"),
        (end, "reservation.rejected", 2, "a-1"),
        (end, "reservation.rejected", 3, "a-1"),
        (end, "reservation.rejected", 4, "a-1"),
    ]
    assert details(frame, "reservation.rejected") == ["shift-end"] * 3


def test_a1_work_in_progress_at_shift_end_continues_next_shift() -> None:
    rep = replication(agents=[group(shift=WORKDAY)])
    rep.send_new(17 * 3600 - 120, "email")  # accepted at 16:58:10, 110 s composed today
    assert trace(rep, "message.outbound", "task.completed", until=2 * DAY) == [
        (DAY + EIGHT + 190, "message.outbound", 1, "a-1"),
        (DAY + EIGHT + 250, "task.completed", 1, "a-1"),
    ]


def test_a1_absent_agent_takes_no_offers() -> None:
    rep = replication(
        agents=[group(name="off", absence={"probability_per_day": 1, "duration": "1d"}),
                group(name="a", shift=WORKDAY)],
    )
    rep.send_new(0, "email")
    assert trace(rep, "reservation.created", "worker.activity.update", until=EIGHT + 60) == [
        (EIGHT, "worker.activity.update", None, "a-1"),
        (EIGHT, "reservation.created", 1, "a-1"),
    ]


# A2, A3: one pair of hands; research, hold and reply ---------------------------------------

def test_a2_replies_are_composed_one_at_a_time() -> None:
    rep = replication(agents=[group(capacity=2)])
    rep.send_new(0, "email")
    rep.send_new(0, "email")
    assert trace(rep, "reservation.accepted", "message.outbound") == [
        (10.0, "reservation.accepted", 1, "a-1"),
        (10.0, "reservation.accepted", 2, "a-1"),
        (310.0, "message.outbound", 1, "a-1"),
        (610.0, "message.outbound", 2, "a-1"),
    ]


def test_a2_the_log_shows_when_the_hands_take_up_each_piece_of_work() -> None:
    rep = replication(agents=[group(capacity=2)])
    rep.send_new(0, "email")
    rep.send_new(0, "email")
    frame = rep.run().to_frame()
    work = ("worker.work.started", "message.outbound", "task.completed")
    assert rows(frame, *work) == [
        (10.0, "worker.work.started", 1, "a-1"),
        (310.0, "message.outbound", 1, "a-1"),
        (310.0, "worker.work.started", 2, "a-1"),  # task 2's reply waited for the hands
        (610.0, "message.outbound", 2, "a-1"),
        (610.0, "worker.work.started", 1, "a-1"),
        (670.0, "task.completed", 1, "a-1"),
        (670.0, "worker.work.started", 2, "a-1"),
        (730.0, "task.completed", 2, "a-1"),
    ]
    assert details(frame, "worker.work.started") == ["compose", "compose", "wrapup", "wrapup"]


def test_a2_work_that_arrives_off_duty_is_taken_up_when_the_duty_starts() -> None:
    rep = replication(agents=[group(shift=WORKDAY, handling={
        "resolve_probability": 0, "hold_for_reply": "1d"})])
    rep.send_new(16 * 3600, "email")  # answered at 16:05:10, then held for the customer
    rep.send_reply(20 * 3600, 1)  # the customer answers at 20:00, off duty
    assert trace(rep, "worker.work.started", "message.outbound", until=DAY + 9 * 3600) == [
        (16 * 3600 + 10, "worker.work.started", 1, "a-1"),
        (16 * 3600 + 310, "message.outbound", 1, "a-1"),
        (DAY + EIGHT, "worker.work.started", 1, "a-1"),
        (DAY + EIGHT + 300, "message.outbound", 1, "a-1"),
    ]


def test_a3_hold_for_reply_ends_when_the_agent_is_back_on_duty() -> None:
    rep = replication(agents=[group(shift=WORKDAY, **AWAITING)])
    rep.send_new(17 * 3600 - 600, "email")  # answered at 16:55:10, hold ends 17:55:10, off duty
    assert trace(rep, "message.outbound", "task.wrapup", until=2 * DAY) == [
        (17 * 3600 - 290, "message.outbound", 1, "a-1"),
        (DAY + EIGHT, "task.wrapup", 1, "a-1"),
    ]


# C2: customer replies ------------------------------------------------------------------------

def test_c2_customer_replies_by_outcome_after_the_delay() -> None:
    rep = replication(agents=[group(**AWAITING)], customers=REPLIES_1H)
    rep.send_new(0, "email")
    assert trace(rep, "message.inbound", "message.outbound", until=5000) == [
        (0.0, "message.inbound", None, None),
        (310.0, "message.outbound", 1, "a-1"),
        (3910.0, "message.inbound", 1, "a-1"),  # awaiting: replies with probability 1
        (4210.0, "message.outbound", 1, "a-1"),
    ]


def test_c2_resolved_emails_get_no_reply_when_that_probability_is_zero() -> None:
    rep = replication(customers=REPLIES_1H)  # agent resolves; resolved reply probability 0
    rep.send_new(0, "email")
    assert trace(rep, "message.inbound") == [(0.0, "message.inbound", None, None)]
