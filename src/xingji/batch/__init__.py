"""Files in and out of the rating engine: JSON, CSV and XLSX (``xingji rate``)."""

from xingji.batch.readers import read_records
from xingji.batch.writers import write_rating, write_template
from xingji.common.tabular import FileError

__all__ = ["FileError", "read_records", "write_rating", "write_template"]
