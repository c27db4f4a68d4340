#!/usr/bin/python3
"""Markdown counts of Arena-Hard's style metadata computed with Python's own `re` and the
patterns of its published answer format (header_count h1-h6, list_count ordered/unordered,
bold_count **/__, after removing fenced code blocks' contents), for harness's tests:

    /usr/bin/python3 testdata/harness/markdown_reference.py > testdata/harness/markdown.json
"""
import json
import re

texts = [
    "# Title\n\nSome text.\n## Section\n### Sub\n#NoSpace\n####### seven",
    "1. one\n2. two\n  3. three\n10.ten\n- a\n* b\n+ c\n-d\n \t- indented",
    "**bold** and __under__ and **not\nbold** and ****\n**a** **b**",
    "```python\n# not a header\n- not a list\n```\n# header\n- item",
    "text x\n```x```\nmore x and # x",
    "# h\u00a0nbsp header\n\u0663. arabic-indic digit list\n\u2003- em space item",
    "",
    "no markdown at all",
    "#\theader with tab\n##\n## \n1.\n1. \n",
    "```\nunclosed\n# header\n",
]

def counts(t):
    for block in re.compile("```([^`]*)```").findall(t):
        t = t.replace(block, "")
    return {
        "header_count": {f"h{i}": len(re.findall(r"^#{%d}\s" % i, t, re.MULTILINE)) for i in range(1, 7)},
        "list_count": {
            "ordered": len(re.findall(r"^\s*\d+\.\s", t, re.MULTILINE)),
            "unordered": len(re.findall(r"^\s*[-*+]\s", t, re.MULTILINE)),
        },
        "bold_count": {"**": len(re.findall(r"\*\*[^*\n]+\*\*", t)), "__": len(re.findall(r"__[^_\n]+__", t))},
    }

print(json.dumps({"generator": "testdata/harness/markdown_reference.py",
                  "cases": [{"text": t, "counts": counts(t)} for t in texts]}, indent=1, ensure_ascii=False))
