from decimal import Decimal

from invoices import Invoice, LineItem, format_money, render_text


def test_money_has_separators_and_two_decimals():
    assert format_money(Decimal("1234.5")) == "EUR 1,234.50"
    assert format_money(Decimal("-3"), "USD") == "-USD 3.00"


def test_rendered_invoice_lists_items_and_totals():
    invoice = Invoice("INV-9", "Acme", [LineItem("Widget", 2, Decimal("9.99"))])
    text = render_text(invoice)
    assert text.splitlines()[:2] == ["Invoice INV-9", "Customer: Acme"]
    assert "2 x Widget" in text
    assert text.rstrip().endswith("EUR 23.98")
