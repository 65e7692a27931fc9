from decimal import Decimal

import pytest

from invoices import Invoice, InvoiceError, LineItem


def test_line_amount_is_quantity_times_unit_price():
    assert LineItem("Widget", 3, Decimal("2.50")).amount == Decimal("7.50")


@pytest.mark.parametrize(
    ("description", "quantity", "unit_price", "message"),
    [
        ("  ", 1, Decimal("1"), "description is empty"),
        ("Widget", 0, Decimal("1"), "quantity must be at least 1"),
        ("Widget", 1, Decimal("-0.01"), "unit price must not be negative"),
    ],
)
def test_invalid_line_items_are_refused(description, quantity, unit_price, message):
    with pytest.raises(InvoiceError, match=message):
        LineItem(description, quantity, unit_price)


def test_vat_rate_must_be_a_fraction():
    with pytest.raises(InvoiceError, match="VAT rate"):
        Invoice("INV-1", "Acme", vat_rate=Decimal("20"))
