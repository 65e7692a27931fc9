from decimal import Decimal

from invoices import Invoice, LineItem, discount_amount, subtotal, total, vat_amount


def make_invoice(**rates):
    items = [LineItem("Consulting", 6, Decimal("120.00")), LineItem("Travel", 1, Decimal("84.55"))]
    return Invoice("INV-7", "Northwind Traders", items, **rates)


def test_subtotal_sums_the_lines():
    assert subtotal(make_invoice()) == Decimal("804.55")


def test_vat_is_rounded_half_up_to_cents():
    assert vat_amount(make_invoice(vat_rate=Decimal("0.075"))) == Decimal("60.34")


def test_discount_is_taken_before_vat():
    invoice = make_invoice(discount_rate=Decimal("0.10"))
    assert discount_amount(invoice) == Decimal("80.46")
    assert vat_amount(invoice) == Decimal("144.82")
    assert total(invoice) == Decimal("868.91")


def test_an_empty_invoice_totals_zero():
    assert total(Invoice("INV-8", "Acme")) == Decimal("0.00")
