"""The Python code of docs/library.md and docs/scale-out.md, run as written from the repository
root (with this build's package in place of build/python)."""
import os
import re

import pytest

from conftest import BUILD, ROOT


def blocks(doc):
    return re.findall(r"```python\n(.*?)```", (ROOT / "docs" / doc).read_text(), re.S)


@pytest.mark.parametrize("doc,index", [("library.md", i) for i in range(len(blocks("library.md")))] +
                         [("scale-out.md", i) for i in range(len(blocks("scale-out.md")))])
def test_doc_code_runs(doc, index, monkeypatch, capsys):
    code = blocks(doc)[index].replace('"build/python"', repr(str(BUILD / "python")))
    monkeypatch.chdir(ROOT)
    exec(compile(code, f"{doc}[{index}]", "exec"), {"__name__": "__doc_example__"})
    assert capsys.readouterr().out.strip()  # every example prints what it made
