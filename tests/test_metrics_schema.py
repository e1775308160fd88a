"""metrics.json follows one schema with a version number; a drifted key fails here, not in a reader's script."""

import copy

import pytest

from projnet.errors import ProjnetError
from projnet.metrics_schema import METRICS_SCHEMA_VERSION, check_metrics


def test_a_run_writes_the_versioned_schema(digits_metrics):
    assert digits_metrics["schema_version"] == METRICS_SCHEMA_VERSION == 2
    check_metrics(digits_metrics)


@pytest.mark.parametrize("edit,message", [
    (lambda m: m.pop("trainer_float"), "metrics.trainer_float is missing"),
    (lambda m: m["student_int8"].update(size_bytes="30 KB"), "metrics.student_int8.size_bytes must be int, not str"),
    (lambda m: m.update(extra_key=1), "metrics.json has keys the schema lacks: extra_key"),
    (lambda m: m["data"]["rows"].pop("test"), "metrics.data.rows.test is missing"),
    (lambda m: m["student_int8"]["latency_us"].update(p50=True), "metrics.student_int8.latency_us.p50 must be int"),
])
def test_a_document_that_drifted_is_refused_naming_the_key(digits_metrics, edit, message):
    doc = copy.deepcopy(digits_metrics)
    edit(doc)
    with pytest.raises(ProjnetError, match=message.replace(".", r"\.")):
        check_metrics(doc)
