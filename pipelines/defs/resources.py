"""The one resource every stage shares: where sources and the warehouse live, and the analysis settings."""

import datetime as dt
from pathlib import Path

import dagster as dg
from pydantic import Field, field_validator

from pipelines.lib.analysis import AnalysisConfig
from pipelines.lib.settings import DEFAULTS, Settings
from pipelines.lib.warehouse import Locations


class FlopcastResource(dg.ConfigurableResource):
    """Everything here is configuration (Dagster config, `flopcast build` options or FLOPCAST_* variables)."""

    sources_dir: str
    warehouse_dir: str
    as_of: str | None = Field(
        default=None, description="ISO date the fits and projections are made at; default: newest publication date"
    )
    horizon_year: int = Field(default=DEFAULTS.horizon_year, description="last projected year")
    bootstrap_resamples: int = Field(
        default=DEFAULTS.bootstrap_resamples, description="bootstrap resamples per trend fit"
    )
    seed: int = Field(default=DEFAULTS.seed, description="base seed of every bootstrap")
    cluster_start_year: int = Field(
        default=DEFAULTS.cluster_start_year,
        description="first year of the largest-cluster fits (ranking uses the whole history)",
    )
    assumption_overrides: dict[str, float] = Field(
        default_factory=dict, description="name -> value, see marts.assumptions"
    )
    pins: dict[str, str] = Field(default_factory=dict, description="source -> version to use instead of the newest")

    @field_validator("assumption_overrides")
    @classmethod
    def _overrides_in_range(cls, overrides: dict[str, float]) -> dict[str, float]:
        """Checked when the resource is configured, so a run launched with an impossible value (pue=-1)
        fails at resource initialisation, before any step, with the allowed range in the message."""
        from pipelines.lib.assumptions import UnknownAssumption, validate_overrides

        try:
            return validate_overrides(overrides)
        except UnknownAssumption as exc:
            raise ValueError(exc.args[0]) from None

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Every run takes the warehouse's build lock (and a whole-graph run a fresh private database),
        however it was launched: see pipelines/defs/run_lock.py."""
        from pipelines.defs.run_lock import claim

        claim(self.warehouse_dir, context)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        from pipelines.defs.run_lock import release

        release(self.warehouse_dir, context)

    @property
    def locations(self) -> Locations:
        return Locations(sources_dir=Path(self.sources_dir), warehouse_dir=Path(self.warehouse_dir))

    @property
    def settings(self) -> Settings:
        """The configured run defaults with the business rules of pipelines/lib/settings.py."""
        return DEFAULTS.replace(
            horizon_year=self.horizon_year,
            bootstrap_resamples=self.bootstrap_resamples,
            seed=self.seed,
            cluster_start_year=self.cluster_start_year,
        )

    @property
    def analysis(self) -> AnalysisConfig:
        return AnalysisConfig(
            as_of=dt.date.fromisoformat(self.as_of) if self.as_of else None,
            horizon_year=self.horizon_year,
            bootstrap_resamples=self.bootstrap_resamples,
            seed=self.seed,
            cluster_start_year=self.cluster_start_year,
            assumption_overrides=dict(self.assumption_overrides),
        )
