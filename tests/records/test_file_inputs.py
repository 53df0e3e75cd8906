"""File pickers offer only what the server takes (the server still checks every upload)."""

from xingji.campaigns.ledger_import_views import LedgerImportForm
from xingji.ledger.forms import AttachmentForm as ItemAttachmentForm
from xingji.ledger.forms import CloseRequestForm
from xingji.ledger.forms import ImportForm as ItemImportForm
from xingji.orgs.forms import ImportForm as MemberImportForm
from xingji.records.attachments import EXTENSIONS
from xingji.records.forms import AttachmentForm, ImportForm


def accept(form_class, name: str = "file") -> set[str]:
    return set(form_class.base_fields[name].widget.attrs["accept"].split(","))


def test_evidence_pickers_offer_the_extensions_the_upload_check_takes():
    for form_class in (AttachmentForm, ItemAttachmentForm, CloseRequestForm):
        assert accept(form_class) == set(EXTENSIONS)
    assert 'accept=".pdf,' in str(AttachmentForm()["file"])


def test_import_pickers_offer_every_spreadsheet_an_office_saves():
    for form_class in (ImportForm, ItemImportForm, LedgerImportForm, MemberImportForm):
        assert accept(form_class) == {".xlsx", ".xls", ".ods", ".csv"}
