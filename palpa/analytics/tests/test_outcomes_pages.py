"""The Outcomes pages (/outcomes/ for owners, /outcomes/mine/ for each therapist), persona
by persona: who may open them, what each sees (a therapist only their own figures), small
cells shown without figures, the filters, the statements the page owes its reader, the
audit entry, and "Recompute now" when nothing has been computed."""

from __future__ import annotations

from typing import Any

import pytest
from django.tasks import default_task_backend

from palpa.accounts.models import Location, Organization, User
from palpa.analytics import figures
from palpa.analytics.models import OutcomeSnapshot
from palpa.analytics.tests.outcomes_support import RARE_MIX, store_snapshot
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import assert_answer, matrix, web_client

ORGANIZATION_PAGE = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,  # their own organization's (nothing computed)
    "anonymous": 302,
}
MINE_PAGE = {
    "owner": 200,  # an owner who treats no one has no episodes of their own
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,
    "anonymous": 302,
}


@pytest.fixture
def computed(
    org: Organization, therapist: User, other_therapist: User, location: Location
) -> OutcomeSnapshot:
    return store_snapshot(org, therapist=therapist, other=other_therapist, location=location)


@pytest.mark.parametrize(("who", "status"), matrix(ORGANIZATION_PAGE))
def test_each_persona_may_or_may_not_open_the_outcomes_page(
    request: pytest.FixtureRequest, who: str, status: int, computed: OutcomeSnapshot
) -> None:
    response = web_client(request, who).get("/outcomes/")
    assert_answer(response, who, status)
    if status != 200:
        return
    page = response.content.decode()
    if who == "outsider":
        assert "Not computed yet" in page
        assert "Tess Therapist" not in page
    else:
        # Two hours before the frozen clock's 3 p.m. in Tampa, at the organization's time.
        assert "Computed Mar 2, 2026, 1:00 p.m. EST from 804 episodes" in page
        assert "Tess Therapist" in page
        assert "Theo Other" in page


@pytest.mark.parametrize(("who", "status"), matrix(MINE_PAGE))
def test_each_persona_may_or_may_not_open_my_outcomes(
    request: pytest.FixtureRequest, who: str, status: int, computed: OutcomeSnapshot
) -> None:
    response = web_client(request, who).get("/outcomes/mine/")
    assert_answer(response, who, status)


def test_a_therapist_sees_only_their_own_figures(
    client_for: Any, therapist: User, computed: OutcomeSnapshot
) -> None:
    page = client_for(therapist).get("/outcomes/mine/").content.decode()
    assert "My outcomes" in page
    assert "Your result against what your case mix predicts" in page
    # No other therapist's name or row, no organization-wide therapist table or funnel.
    assert "Theo Other" not in page
    assert "Therapist 2-1" not in page
    assert "Therapists, risk-adjusted" not in page
    own = computed.data["mine"][str(therapist.practitioner.public_id)]
    assert f"{own['episodes']}" in page


def test_my_outcomes_reads_only_the_therapists_own_part_of_the_snapshot(
    therapist: User, other_therapist: User, computed: OutcomeSnapshot
) -> None:
    mine = figures.figures(therapist, figures.Filters(), mine=True)
    theirs = figures.figures(other_therapist, figures.Filters(), mine=True)
    own_id = str(therapist.practitioner.public_id)
    assert mine.in_view == computed.data["mine"][own_id]["episodes"]
    assert mine.in_view != theirs.in_view
    assert mine.funnel is not None
    assert [g["label"] for g in mine.funnel["groups"]] == ["You"]
    assert "by_therapist" not in mine.tables


def test_the_owner_filters_to_neck_pain_and_sees_the_small_cell_not_shown(
    client_for: Any, owner: User, computed: OutcomeSnapshot
) -> None:
    page = client_for(owner).get("/outcomes/?condition_group=neck-pain").content.decode()
    assert "Responder rate by technique mix within condition group" in page
    assert f"Neck pain · {RARE_MIX}" in page
    assert "fewer than 10 episodes: not shown" in page
    assert 'class="forest-svg"' in page
    assert 'class="km-svg"' in page
    assert 'class="funnel-svg"' in page
    # The other condition groups' mixes are not in the forest.
    assert "Low back pain · myofascial release" not in page


def test_the_page_states_the_false_discovery_rate_and_the_observational_wording(
    client_for: Any, owner: User, computed: OutcomeSnapshot
) -> None:
    page = client_for(owner).get("/outcomes/").content.decode()
    assert "Benjamini\u2013Hochberg at 5%" in page
    assert "Technique effects are observational." in page
    assert "<em>associated with</em>" in page
    assert "causes" not in page.replace("does not show that it causes it", "")


def test_a_bad_filter_is_named_and_dropped(
    client_for: Any, owner: User, computed: OutcomeSnapshot
) -> None:
    page = client_for(owner).get("/outcomes/?condition_group=gout&period=1999").content.decode()
    assert "Condition group: choose one of the groups listed." in page
    assert "Period: choose one of the years listed." in page
    assert "Responder rate by condition group" in page


def test_the_location_and_period_filters_narrow_the_episodes(
    owner: User, location: Location, computed: OutcomeSnapshot
) -> None:
    everything = figures.figures(owner, figures.Filters())
    one_place = figures.figures(owner, figures.Filters(location=str(location.public_id)))
    one_year = figures.figures(
        owner, figures.Filters(location=str(location.public_id), period="2024")
    )
    assert everything.in_view > one_place.in_view > one_year.in_view > 0


def test_reading_the_page_is_audited(
    client_for: Any, owner: User, computed: OutcomeSnapshot
) -> None:
    client_for(owner).get("/outcomes/?condition_group=neck-pain")
    entry = AuditEvent.objects.filter(object_type="OutcomeFigures").latest("seq")
    assert entry.action == "read"
    assert entry.detail["view"] == "organization"
    assert entry.detail["filters"]["condition_group"] == "neck-pain"


def test_without_a_snapshot_the_page_says_so_and_recompute_queues_the_worker(
    client_for: Any, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[int, str | None]] = []
    monkeypatch.setattr(
        "palpa.analytics.views.queue_recompute", lambda org, kind=None: queued.append((org, kind))
    )
    client = client_for(owner)
    page = client.get("/outcomes/").content.decode()
    assert "Not computed yet" in page
    assert "Recompute now" in page
    response = client.post("/outcomes/")
    assert response.status_code == 302
    assert queued == [(owner.organization_id, "responders")]
    assert default_task_backend is not None


def test_the_dashboard_links_owners_and_therapists_to_their_outcomes(
    client_for: Any, owner: User, therapist: User, front_desk: User
) -> None:
    assert 'href="/outcomes/"' in client_for(owner).get("/").content.decode()
    assert 'href="/outcomes/mine/"' in client_for(therapist).get("/").content.decode()
    assert "/outcomes/" not in client_for(front_desk).get("/").content.decode()


def test_the_pages_and_the_api_load_no_numerical_library() -> None:
    # Web workers serve these; numpy, scipy and statsmodels stay in the background worker.
    import subprocess
    import sys

    code = (
        "import django, sys; django.setup(); import palpa.urls, palpa.api, "
        "palpa.analytics.views, palpa.analytics.api, palpa.analytics.figures, "
        "palpa.analytics.charts, palpa.analytics.responders; "
        "print(sorted({'numpy', 'scipy', 'statsmodels', 'pandas'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
