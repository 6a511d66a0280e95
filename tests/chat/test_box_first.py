"""A fresh process draws a new chat's message box before it imports the database and the SDK clients,
so that on a first start the box is on screen, and can be typed in, while those imports and the
database's creation run (benchmark 6 measures the effect on the launch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.apptest import ROOT

# (numpy is not among them: Streamlit's set_page_config imports it for any image favicon, the portal's included.)
HEAVY = ("sqlalchemy", "alembic", "azure.ai.inference", "openai")

# Run in a fresh interpreter: this test process has imported all of HEAVY long ago.
PROBE = """
import json, sys
from streamlit.testing.v1 import AppTest
import components.message_box as message_box

HEAVY = {heavy!r}
loaded_when_drawn = []
draw = message_box.MessageBox.draw

def watched(self):
    loaded_when_drawn.append(sorted(name for name in HEAVY if name in sys.modules))
    draw(self)

message_box.MessageBox.draw = watched
app = AppTest.from_file("streamlit_app.py", default_timeout=60).run()
print(json.dumps({{
    "loaded_when_drawn": loaded_when_drawn,
    "loaded_after": sorted(name for name in HEAVY if name in sys.modules),
    "exceptions": [e.value for e in app.exception],
    "boxes": len(app.chat_input),
    "captions": [c.value for c in app.caption],
}}))
"""


def test_a_new_chat_draws_its_box_before_the_page_imports_the_database_and_the_sdks(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_INFERENCE_", "PORTAL_", "DATABASE_URL"))}
    env["PORTAL_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["exceptions"] == [] and report["boxes"] == 1
    assert any(caption.startswith("Ask anything below") for caption in report["captions"])  # the whole page was drawn
    assert report["loaded_when_drawn"] == [[]]  # drawn once, before any of them was imported
    assert {"sqlalchemy", "alembic"} <= set(report["loaded_after"])  # then the page opened (created) the database
