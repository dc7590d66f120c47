import numpy as np
import pytest

from kpiengine.datafile import read_data_csv
from kpiengine.errors import KpiError

VARIABLES = {"revenue", "cost"}


def write(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "d.csv"
    path.write_text(text, encoding=encoding)
    return path


def test_columns_split_into_dates_dimensions_and_values(tmp_path):
    path = write(tmp_path, "date;channel;revenue\n2024-01-05;A;1,200.5\n2024-02;B;\n", "utf-8-sig")
    frame = read_data_csv(path, VARIABLES)
    assert frame.dates.tolist()[1].isoformat() == "2024-02-01"
    assert frame.dims["channel"].tolist() == ["A", "B"]
    assert frame.values["revenue"][0] == 1200.5 and np.isnan(frame.values["revenue"][1])


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("", ":1:1", "empty"),
        ("day,revenue\n2024-01-01,1\n", ":1:1", "no `date` column"),
        ("date,revenue\n2024-13-01,1\n", ":2:1", "invalid date"),
        ("date,revenue\n01/02/2024,1\n", ":2:1", "YYYY-MM-DD"),
        ("date,revenue\n2024-01-01,1,2\n", ":2:1", "expected 2 fields"),
        ("date,revnue\n2024-01-01,1\n", ":1:6", "did you mean `revenue`"),
        ("date,revenue\n", ":2:1", "no rows"),
    ],
)
def test_errors_name_file_line_and_column(tmp_path, text, where, words):
    path = write(tmp_path, text)
    with pytest.raises(KpiError) as info:
        read_data_csv(path, VARIABLES)
    assert str(info.value.location).endswith(where)
    assert words in info.value.message


def test_missing_file(tmp_path):
    with pytest.raises(KpiError, match="not found"):
        read_data_csv(tmp_path / "none.csv", VARIABLES)
