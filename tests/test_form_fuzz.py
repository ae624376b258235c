"""Property-based fuzzing of the calculator's forms (hypothesis): whatever is typed, the page answers
without a server error, and a refused value is named next to its field."""

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

ANY_TEXT = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"-?[0-9]{0,15}([.,][0-9]{0,6})?([eE][+-]?[0-9]{1,4})?", fullmatch=True),
    st.sampled_from(["NaN", "inf", "-inf", "1e999", "0", "-0", "1,000", "١٢٣", "12 000", "9" * 40, "\x00", "💬"]),
)
FIELDS = ["on", "currency", "business_country", "auth_international", "business_phone_numbers",
          "utility_in_service_window", "free_entry_point", "templates_per_conversation",
          "service_messages_per_conversation"]
LINE_FIELDS = ["country", "marketing", "utility", "authentication", "service", "utility_in_service_window",
               "free_entry_point", "templates_per_conversation", "service_messages_per_conversation"]


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "calculator": (10**9, 60)}
    cache.clear()


def query(estimate: dict, lines: list[dict], total_forms) -> dict:
    data = {k: v for k, v in estimate.items()}
    data["lines-TOTAL_FORMS"] = total_forms
    data["lines-INITIAL_FORMS"] = "0"
    for index, line in enumerate(lines):
        data.update({f"lines-{index}-{k}": v for k, v in line.items()})
    return data


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    estimate=st.dictionaries(st.sampled_from(FIELDS), ANY_TEXT, max_size=5),
    lines=st.lists(st.dictionaries(st.sampled_from(LINE_FIELDS), ANY_TEXT, max_size=5), max_size=3),
    total_forms=st.one_of(st.just(None), st.sampled_from(["1", "3", "-1", "x", "100000"])),
    htmx=st.booleans(),
)
def test_the_calculator_never_fails_whatever_is_typed(client, estimate, lines, total_forms, htmx):
    data = query(estimate, lines, total_forms if total_forms is not None else str(len(lines)))
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get("/", data, headers=headers)
    assert response.status_code in (200, 400), response.status_code
    page = response.content.decode()
    if response.status_code == 200 and 'aria-invalid="true"' in page:
        assert "errorlist" in page or "field-error" in page


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(numbers=st.text(max_size=300), category=ANY_TEXT, per_recipient=ANY_TEXT)
def test_pasting_anything_never_fails(client, numbers, category, per_recipient):
    response = client.post("/paste-numbers/", {"numbers": numbers, "category": category,
                                               "per_recipient": per_recipient})
    assert response.status_code in (200, 400)


def test_a_refused_count_is_named_next_to_its_field_and_the_rest_is_priced(client):
    page = client.get("/", query({}, [{"country": "IN", "marketing": "-5", "utility": "1000"},
                                      {"country": "BR", "marketing": "1000"}], "2")).content.decode()
    assert "must be zero or more" in page or "zero or more" in page
    assert 'id="estimate-result"' in page
