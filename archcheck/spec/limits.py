"""archcheck's limits on what a spec may build: refused with a message rather than attempted.

The language's declarations (language.py) bound literal values with them; the validator and the
builder check what values resolve to and what a spec would build. The limits of the YAML file itself
are in yamlload.py, of printed cells in cells.py and of erratum arithmetic in arith.py.
"""
from __future__ import annotations

MAX_CHANNELS = 100_000      # the width-32 GoogLeNet has 12,288; above this is refused, not attempted
MAX_SPATIAL = 16_384        # input and activation height and width
MAX_FEATURES = 10**9        # a flattened activation (a linear layer's input)
MAX_KERNEL = 1_024
MAX_ROWS = 10_000
MAX_USE_DEPTH = 16          # templates in a `use` chain; the bundled specs nest 2 deep
MAX_LAYERS = 250_000        # layers a spec may build (spec/expansion.py); bench.py's 1,600-module stack counts 11,289
