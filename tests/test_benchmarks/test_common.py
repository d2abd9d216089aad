"""The report writer the benchmark scripts share."""
import json

from benchmarks.common import write_report


def test_write_report_prints_and_writes_markdown_and_json(tmp_path, capsys):
    out = str(tmp_path / 'bench')
    write_report(out, '# Title\n\n| a |\n', dict(runs={'x/0': 1.5}))
    assert capsys.readouterr().out == '\n# Title\n\n| a |\n\n'
    assert (tmp_path / 'bench.md').read_text() == '# Title\n\n| a |\n'
    assert json.loads((tmp_path / 'bench.json').read_text()) == {
        'runs': {'x/0': 1.5}}
