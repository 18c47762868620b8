# Stratus's runtime client for Lambda's Python runtimes lives in stratus_runtime.py
# beside this file. Importing it, rather than running it as the script, lets Python
# keep its bytecode in __pycache__: a cold start then skips compiling the client.
import stratus_runtime

stratus_runtime.main()
