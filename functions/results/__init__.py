"""The Results page: KPIs as headline numbers, SVG charts and data tables, for admins and (totals only) anyone."""
