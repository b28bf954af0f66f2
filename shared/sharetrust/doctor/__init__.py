"""`sharetrust doctor`: an account's prerequisites for a deployment, one line each, with the fix.
`facts` reads what is there (reads only); `checks` is pure: facts in, checks out."""
