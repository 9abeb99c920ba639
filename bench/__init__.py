"""``make bench``: dagster-cdk8s against a bare cdk8s app and Helm's Go SDK (see bench/run.py)."""
