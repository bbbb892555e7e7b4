"""How much each section measures: a full run (under 10 minutes on two
cores), a quick one (under a minute) and a tiny one for the smoke test."""
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Settings:
    mode: str
    local: bool = True             # sections 1-2 need the local stack
    local_rounds: int = 300
    local_warmup: int = 20
    local_budget_s: float = 100    # per local section, after warm-up
    handler_rounds: int = 3000
    handler_warmup: int = 200
    coldstart_rounds: int = 15
    coldstart_warmup: bool = True   # one untimed round first (fills the .pyc cache)
    coldstart_targets: tuple = ()  # () means every target in bench.targets
    import_profiled: tuple = ('fleet_invoke', 'rides_post', 'bare_rides_post')
    scale_sizes: tuple = (10, 100, 1000)
    scale_dispatches: int = 100
    uniformity_size: int = 100
    uniformity_draws_per_unicorn: int = 50


FULL = Settings(mode='full')
QUICK = Settings(mode='quick', local_rounds=20, local_warmup=3, local_budget_s=8, handler_rounds=300,
                 handler_warmup=30, coldstart_rounds=2, coldstart_warmup=False,
                 import_profiled=('fleet_invoke', 'rides_post'), scale_dispatches=5,
                 uniformity_size=16, uniformity_draws_per_unicorn=15)
TINY = replace(QUICK, mode='tiny', local=False, handler_rounds=5, handler_warmup=1,
               coldstart_rounds=1, coldstart_targets=('fleet_invoke', 'bare_fleet_invoke'),
               import_profiled=('fleet_invoke',), scale_sizes=(3, 5), scale_dispatches=2,
               uniformity_size=4, uniformity_draws_per_unicorn=3)
