"""Invoice arithmetic: line items, totals with VAT and discounts, and plain-text rendering."""

from invoices.formatting import format_money, render_text
from invoices.models import Invoice, InvoiceError, LineItem
from invoices.totals import discount_amount, subtotal, total, vat_amount

__all__ = [
    "Invoice",
    "InvoiceError",
    "LineItem",
    "discount_amount",
    "format_money",
    "render_text",
    "subtotal",
    "total",
    "vat_amount",
]
