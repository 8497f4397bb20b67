"""The audit trail read in the product: who viewed, exported or changed what, filtered, paged and exported."""
