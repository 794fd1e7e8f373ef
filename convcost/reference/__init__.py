"""The NumPy reference executor: the second, independent path from a layer graph to counts.

It runs the network forward on seeded random input and weights and measures, per layer, the
shape it produced, the scalar operations it performed and the parameters it allocated. It reads
only the graph; it never imports the analytic rules (``convcost.layers`` cost and shape rules,
``convcost.analysis``). ``convcost verify`` compares the two; docs/verify.md explains how.
"""

from convcost.reference.counter import Counter, Tally
from convcost.reference.executor import DTYPES, Execution, MeasuredLayer, ReferenceNetwork, execute, plan_graph
from convcost.reference.kernels import KERNELS
from convcost.reference.memory import DEFAULT_MAX_MEMORY, MemoryEstimate, MemoryLimitError

__all__ = ["Counter", "DEFAULT_MAX_MEMORY", "DTYPES", "Execution", "KERNELS", "MeasuredLayer", "MemoryEstimate",
           "MemoryLimitError", "ReferenceNetwork", "Tally", "execute", "plan_graph"]
