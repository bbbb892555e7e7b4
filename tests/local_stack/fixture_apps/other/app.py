"""A second fixture app: what one app's sandbox can see of another's."""
import os
import sys

from chalice import Chalice

app = Chalice(app_name='other')
other_marker = True


@app.lambda_function(name='Peek')
def peek(event, context):
    return {'environ': dict(os.environ), 'path': sys.path,
            'toolbox_loaded': hasattr(sys.modules.get('app'), 'INVOCATIONS')}
