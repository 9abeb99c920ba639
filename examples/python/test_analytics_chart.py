"""The analytics chart under the dagster-cdk8s testing kit (``pip install 'dagster-cdk8s[testing]'``)."""

import cdk8s
from analytics_chart import build


def test_analytics_chart(dagster_snapshot, dagster_checks):
    chart = build(cdk8s.App(), pg_password="test-only-password")
    dagster_checks(chart)
    assert chart == dagster_snapshot
