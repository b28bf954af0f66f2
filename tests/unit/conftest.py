"""The Hypothesis budget of the property tests (`test_properties_*.py`).

Sized for a shared, noisy 2-core machine: no deadline (a slow example is not a failure), a bounded
number of examples, and no example database. Hypothesis's own caches (constants, Unicode tables) go
to the temporary directory, so a run leaves no files in the work tree. Tests marked `long` run the
same properties with `LONG_EXAMPLES`; they are deselected by default (`pytest -m long`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "sharetrust-hypothesis"))

PROPERTY_EXAMPLES = 200
LONG_EXAMPLES = 5000

settings.register_profile("sharetrust", max_examples=PROPERTY_EXAMPLES, deadline=None, database=None, print_blob=True)
settings.register_profile("sharetrust-long", settings.get_profile("sharetrust"), max_examples=LONG_EXAMPLES)
settings.load_profile("sharetrust")
