"""exitvoice: a simulator of exit under pressure (mobilisation, exit controls, emigration, the call-up quota).

Python API::

    from exitvoice import Scenario, run
    res = run(Scenario.from_toml("scenarios/russia-2022.toml"), seed=7)
    res.timeseries, res.summary, res.plot()

    from exitvoice import compare
    cmp = compare(["scenarios/wave2-1m-open.toml", "scenarios/wave2-1m-closed.toml"], ensemble=10, jobs=2)
    cmp.wide(), cmp.findings(), cmp.write("results/wave2")
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import run  # noqa: E402
from .compare import compare  # noqa: E402
from .scenario import Scenario  # noqa: E402

__all__ = ["Scenario", "run", "compare", "__version__"]
