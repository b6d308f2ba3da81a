"""Rewrite the shipped weights files with the zoo's record (model name + digest of the arrays), keeping
every array bit for bit, and update their sha256 and size in the manifest (maintainers, once).

    python tools/stamp_weights.py
"""

import numpy as np

from zoo import api
from zoo.core import hub
from zoo.core.atomic import atomic_write_json

manifest = hub.manifest()
for name in api.list_models():
    record = manifest[name]
    path = hub.WEIGHTS_DIR / record["file"]
    before, _ = hub._read_arrays(path)
    model = api.load(name)
    hub.save_weights(model, path, name=name)
    after, attrs = hub._read_arrays(path)
    assert before.keys() == after.keys() and all(np.array_equal(before[k], after[k]) for k in before), name
    record.update(sha256=hub.sha256(path), bytes=path.stat().st_size)
    print(name, attrs["zoo_model"], record["sha256"][:12], record["bytes"])
atomic_write_json(hub.MANIFEST, manifest)
