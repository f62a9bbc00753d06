# Advisory inquiries arrive with the advisory issue; the app exists so its role and
# migrations have a home from the start.
