// Stands in for MathJax, which nbconvert's notebook template loads from a CDN on every page.
// The tutorials' prose has no math, and the site loads nothing from another host
// (mkdocs.yml, custom_mathjax_url; tests/test_site.py checks every request).
