"""Container images: one pinned Dagster version, official library images for the services.

Every image the library deploys is an :class:`Image`, so repository, tag and pull policy can
be overridden everywhere the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError, check_non_empty, check_one_of

__all__ = [
    "DAGSTER_VERSION",
    "PULL_POLICIES",
    "Image",
    "dagster_image",
    "default_celery_k8s_image",
    "default_flower_image",
    "default_postgres_image",
    "default_rabbitmq_image",
    "default_redis_image",
    "default_user_code_image",
]

#: The one Dagster release every Dagster image and every launched run defaults to.
DAGSTER_VERSION = "1.13.27"

PULL_POLICIES = ("Always", "IfNotPresent", "Never")


@dataclass(frozen=True, kw_only=True)
class Image:
    """A container image reference.

    Args:
        repository: registry and repository, e.g. ``docker.io/dagster/dagster-celery-k8s``.
        tag: tag, or a digest such as ``sha256:...`` (rendered as ``repository@digest``).
        pull_policy: ``Always``, ``IfNotPresent`` or ``Never``. @default ``IfNotPresent``
            (every default tag is pinned, so re-pulling buys nothing).
    """

    repository: str
    tag: str
    pull_policy: str = "IfNotPresent"

    def __post_init__(self) -> None:
        check_non_empty("Image.repository", self.repository)
        if ":" in self.repository.rsplit("/", 1)[-1]:
            raise ConfigError(
                "Image.repository",
                self.repository,
                "a repository without a tag (give the tag in Image.tag)",
            )
        check_non_empty("Image.tag", self.tag)
        check_one_of("Image.pull_policy", self.pull_policy, PULL_POLICIES)

    @property
    def ref(self) -> str:
        """The full image reference as a container spec wants it."""
        if self.tag.startswith("sha256:"):
            return f"{self.repository}@{self.tag}"
        return f"{self.repository}:{self.tag}"

    def with_pull_policy(self, pull_policy: str) -> Image:
        return Image(repository=self.repository, tag=self.tag, pull_policy=pull_policy)


def dagster_image(name: str, *, tag: str = DAGSTER_VERSION) -> Image:
    """An image Dagster publishes for each release (``docker.io/dagster/<name>:<version>``)."""
    return Image(repository=f"docker.io/dagster/{name}", tag=tag)


def default_celery_k8s_image() -> Image:
    """Webserver, daemon and Celery workers (as the official chart uses it)."""
    return dagster_image("dagster-celery-k8s")


def default_user_code_image() -> Image:
    """Dagster's example code location, also the default image of launched runs."""
    return dagster_image("user-code-example")


def default_postgres_image() -> Image:
    return Image(repository="docker.io/library/postgres", tag="17.6")


def default_rabbitmq_image() -> Image:
    # The -management variant ships the HTTP API the readiness check uses.
    return Image(repository="docker.io/library/rabbitmq", tag="4.1.4-management")


def default_redis_image() -> Image:
    return Image(repository="docker.io/library/redis", tag="7.4.5")


def default_flower_image() -> Image:
    return Image(repository="docker.io/mher/flower", tag="2.0.1")
