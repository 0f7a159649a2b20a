"""exitvoice: a simulator of exit under pressure (mobilisation, exit controls, emigration, the call-up quota).

Python API::

    from exitvoice import Scenario, run
    res = run(Scenario.from_toml("scenarios/russia-2022.toml"), seed=7)
    res.timeseries, res.summary, res.plot()
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import run  # noqa: E402
from .scenario import Scenario  # noqa: E402

__all__ = ["Scenario", "run", "__version__"]
