"""Invoice totals, rounded half-up to cents at each step, as the accounting system does."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from invoices.models import Invoice

CENT = Decimal("0.01")


def to_cents(value: Decimal) -> Decimal:
    """``value`` rounded half-up to two decimal places."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def subtotal(invoice: Invoice) -> Decimal:
    """The sum of the line amounts, before discount and VAT."""
    return to_cents(sum((item.amount for item in invoice.items), Decimal("0")))


def discount_amount(invoice: Invoice) -> Decimal:
    """The discount taken off the subtotal."""
    return to_cents(subtotal(invoice) * invoice.discount_rate)


def vat_amount(invoice: Invoice) -> Decimal:
    """VAT on the discounted subtotal."""
    return to_cents((subtotal(invoice) - discount_amount(invoice)) * invoice.vat_rate)


def total(invoice: Invoice) -> Decimal:
    """What the customer pays: subtotal minus discount, plus VAT."""
    return subtotal(invoice) - discount_amount(invoice) + vat_amount(invoice)
