"""A fixture app that fails to import, as LocalStack's recorded
`test_lambda_runtime_error` function does: its functions still exist, and
invoking one answers Lambda's init error."""
from chalice import Chalice

app = Chalice(app_name='broken')

raise Exception('Runtime startup fails')


@app.lambda_function(name='Never')
def never(event, context):
    return 'unreachable'
