"""The error catalogue: one record per reference, its meaning and its next step together."""

from __future__ import annotations

import pytest

from pipssl import codes
from pipssl.errors import CATALOGUE, NEXT_STEPS, REFERENCES, PipsslError


@pytest.mark.once
def test_a_reference_without_a_meaning_is_a_ca_files_finding_code() -> None:
    """Only a CA file's errors borrow a finding code; every other reference means
    something of its own, and the two views are the one table's."""
    borrowed = {name for name, ref in CATALOGUE.items() if ref.meaning is None}
    assert borrowed and borrowed <= set(codes.CODES)
    assert set(REFERENCES) == set(CATALOGUE) - borrowed
    assert NEXT_STEPS == {name: ref.next_step for name, ref in CATALOGUE.items()}
    assert PipsslError("x", reference="cafile-empty").hint == CATALOGUE["cafile-empty"].next_step
