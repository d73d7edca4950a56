/* PLACEHOLDER: replaced by this file's owner. */
