"""The working-day calendar the programme keeps: a table of non-working and make-up working days,
loaded from chinesecalendar for the years it knows, imported from a file, edited in the admin; a
year without an arrangement is flagged until someone enters it. The issue's case: a 10-working-day
review scheduled on 2026-12-18 fell due on 2027-01-01 (元旦) and nobody was told."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pmflow import workdays
from pmflow.models import WorkCalendarDay, WorkCalendarYear
from pmflow.services.calendar import calendar_day_set, calendar_import, calendar_load_from_library
from pmflow.workdays import add_workdays, date_is_provisional, is_workday, year_has_arrangement, years_without_arrangement
from tests.factories import make_admin

pytestmark = pytest.mark.django_db
D = dt.date

ARRANGEMENT_2027 = """# 2027 (example arrangement)
2027-01-01,off,元旦
2027-10-01,off,国庆节
2027-10-04,off,国庆节
2027-10-05,off,国庆节
2027-10-06,off,国庆节
2027-10-07,off,国庆节
2027-10-09,on,国庆节
"""


def _import(tmp_path, text=ARRANGEMENT_2027) -> str:
    path = tmp_path / "2027.csv"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("import_calendar", str(path), stdout=out)
    return out.getvalue()


def test_the_years_chinesecalendar_knows_are_in_the_table():
    assert WorkCalendarYear.objects.filter(year=2026, source="library").exists()
    assert WorkCalendarDay.objects.get(date=D(2026, 10, 10)).kind == "on"  # Saturday make-up day
    assert WorkCalendarDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"
    assert not WorkCalendarYear.objects.filter(year=2027).exists()


def test_a_2027_due_date_before_and_after_entering_the_2027_arrangement(tmp_path):
    scheduled = D(2026, 12, 18)
    # before: weekends only, and flagged
    due = add_workdays(scheduled, 10)
    assert due == D(2027, 1, 1)
    assert year_has_arrangement(2027) is False and date_is_provisional(due) is True
    assert add_workdays(D(2027, 9, 30), 1) == D(2027, 10, 1)
    assert 2027 in years_without_arrangement(2026, 2027)
    # an admin enters 2027 (元旦 and 国庆 off)
    assert "2027" in _import(tmp_path)
    due = add_workdays(scheduled, 10)
    assert due == D(2027, 1, 4)
    assert date_is_provisional(due) is False and year_has_arrangement(2027) is True
    assert add_workdays(D(2027, 9, 30), 1) == D(2027, 10, 8)
    assert is_workday(D(2027, 10, 9)) is True  # make-up Saturday
    assert years_without_arrangement(2026, 2027) == []


def test_an_entered_year_overrides_the_library_and_edits_apply_at_once():
    assert is_workday(D(2026, 12, 31)) is True
    calendar_day_set(actor=make_admin(), day=D(2026, 12, 31), kind="off", name="示例")
    assert is_workday(D(2026, 12, 31)) is False
    assert is_workday(D(2026, 10, 10)) is True  # the rest of 2026 is still there


def test_a_day_typed_for_an_unknown_year_enters_that_year():
    calendar_day_set(actor=make_admin(), day=D(2028, 1, 3), kind="off", name="元旦")
    assert year_has_arrangement(2028) and not is_workday(D(2028, 1, 3))
    assert is_workday(D(2028, 1, 4))


def test_another_process_sees_a_change_within_the_ttl(monkeypatch):
    assert is_workday(D(2026, 12, 31)) is True
    # written behind this process's back (another process): the copy is trusted until the TTL
    WorkCalendarDay.objects.create(date=D(2026, 12, 31), kind="off")
    assert is_workday(D(2026, 12, 31)) is True
    monkeypatch.setattr(workdays, "CALENDAR_TTL_SECONDS", 0.0)
    assert is_workday(D(2026, 12, 31)) is False


def test_hot_loops_do_not_query(django_assert_num_queries):
    is_workday(D(2026, 1, 5))  # warm
    with django_assert_num_queries(0):
        for _ in range(50):
            add_workdays(D(2026, 1, 1), 200)


@pytest.mark.parametrize(
    ("text", "needle"),
    [("2027-13-01,off\n", "第 1 行"), ("2027-01-01,maybe\n", "off"), ("2027-01-01,off\n2027-01-01,on\n", "重复"), ("\n", "没有")],
)
def test_a_bad_file_is_refused_naming_the_line_and_nothing_is_entered(tmp_path, text, needle):
    with pytest.raises(CommandError) as exc:
        _import(tmp_path, text)
    assert needle in str(exc.value)
    assert not WorkCalendarYear.objects.filter(year=2027).exists()


def test_reimporting_a_year_replaces_its_days():
    calendar_import(text=ARRANGEMENT_2027)
    calendar_import(text="2027-01-01,off,元旦\n")
    assert list(WorkCalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == [D(2027, 1, 1)]


def test_loading_from_the_library_skips_entered_years():
    assert calendar_load_from_library() == []
    WorkCalendarYear.objects.filter(year=2025).delete()
    WorkCalendarDay.objects.filter(date__year=2025).delete()
    assert calendar_load_from_library() == [2025]
    assert WorkCalendarDay.objects.filter(date__year=2025, kind="on").exists()


def test_the_admin_home_page_lists_years_without_an_arrangement(client, monkeypatch, tmp_path):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: D(2026, 12, 2))
    client.force_login(make_admin())
    page = client.get("/admin/").content.decode()
    assert 'id="calendar-missing"' in page and "2027" in page
    _import(tmp_path)
    assert 'id="calendar-missing"' not in client.get("/admin/").content.decode()
