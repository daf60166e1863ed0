# Per-document token totals by tidytext (reference for themata's n_tokens).
#
# Run (R and tidytext from Debian: apt-get install r-cran-tidytext):
#   LANG=C.UTF-8 Rscript tools/ref/tidytext_tokens.R /work/shared/corpora/ungdc > /tmp/tidytext_tokens.csv
#
# Prints `doc_id,tidytext`, one line per *.txt file under the folder (doc_id =
# file name without `.txt`), sorted by doc_id. A document is the whole file
# read as UTF-8; tidytext::unnest_tokens(word, text) tokenizes it with
# tokenizers::tokenize_words (lowercase, strip_punct = TRUE), i.e.
# stringi::stri_split_boundaries(type = "word", skip_word_none = TRUE): ICU's
# default word breaks, keeping every segment whose rule status is not "none"
# (letters, numbers, kana, ideographs). The number of rows per document is
# its token total.
suppressPackageStartupMessages({
  library(tidytext)
  library(stringi)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript tidytext_tokens.R <folder>")
files <- sort(list.files(args[1], pattern = "\\.txt$", recursive = TRUE, full.names = TRUE))
read_utf8 <- function(f) paste(readLines(f, encoding = "UTF-8", warn = FALSE), collapse = "\n")
docs <- data.frame(
  doc_id = sub("\\.txt$", "", basename(files)),
  text = vapply(files, read_utf8, character(1), USE.NAMES = FALSE),
  stringsAsFactors = FALSE
)
words <- unnest_tokens(docs, word, text)
counts <- table(factor(words$doc_id, levels = docs$doc_id))
out <- data.frame(doc_id = docs$doc_id, tidytext = as.integer(counts))
out <- out[order(out$doc_id, method = "radix"), ]
message(sprintf("stringi %s, ICU %s, tokenizers %s, tidytext %s\n",
            packageVersion("stringi"), stri_info()$ICU.version,
            packageVersion("tokenizers"), packageVersion("tidytext")))
write.csv(out, stdout(), row.names = FALSE, quote = FALSE)
