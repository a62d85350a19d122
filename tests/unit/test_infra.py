"""One table definition: what infra deploys is what the local stack and the tests create."""
import ast
import functools
import json
import re
from pathlib import Path

from infra import functions, iam, names, observability, table, template


def test_cloudformation_and_create_table_come_from_the_same_definition():
    resource = template.template()["Resources"]["RelaisTable"]["Properties"]
    created = table.create_table_kwargs("relais-dev")
    for field in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode"):
        assert resource[field] == created[field] == table.definition()[field]
    assert resource["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert resource["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_every_index_key_attribute_is_defined():
    spec = table.definition()
    defined = {a["AttributeName"] for a in spec["AttributeDefinitions"]}
    used = {k["AttributeName"] for k in spec["KeySchema"]}
    used |= {k["AttributeName"] for index in spec["GlobalSecondaryIndexes"] for k in index["KeySchema"]}
    assert used == defined


def test_the_outbox_stream_is_on_everywhere_with_both_images():
    resource = template.template()["Resources"]["RelaisTable"]["Properties"]
    created = table.create_table_kwargs("relais-dev")
    assert created["StreamSpecification"] == {"StreamEnabled": True,
                                              "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert resource["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_the_sms_queue_has_a_dead_letter_queue_with_an_alarm():
    resources = template.template()["Resources"]
    redrive = resources["SmsQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["SmsDeadLetterQueue", "Arn"]}
    assert redrive["maxReceiveCount"] >= 6          # quiet hours over a long weekend
    alarm = resources["SmsDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["SmsDeadLetterQueue", "QueueName"]}


def test_the_table_is_protected_in_prod_and_encrypted_with_point_in_time_recovery():
    """Kept and protected, except from the rollback of the create that made it (devtools/deploy.py
    creates the stack with the protection off, then turns it on)."""
    full = template.template("prod")
    prod = full["Resources"]["RelaisTable"]
    assert prod["Properties"]["DeletionProtectionEnabled"] == {"Fn::If": ["ProtectTable", True, False]}
    assert full["Conditions"]["ProtectTable"] == {"Fn::Equals": [{"Ref": "TableDeletionProtection"}, "true"]}
    assert full["Parameters"]["TableDeletionProtection"]["Default"] == "true"
    assert template.table_protection("dev")[0]["TableDeletionProtection"]["Default"] == "false"
    assert prod["DeletionPolicy"] == "RetainExceptOnCreate" and prod["UpdateReplacePolicy"] == "Retain"
    assert full["Resources"]["MailBucket"]["DeletionPolicy"] == "RetainExceptOnCreate"
    assert prod["Properties"]["SSESpecification"] == {"SSEEnabled": True}


def test_the_mail_bucket_is_private_encrypted_tls_only_and_expires_what_it_should():
    resources = template.template()["Resources"]
    bucket = resources["MailBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["inbound-mail"]["Prefix"] == template.INBOUND_PREFIX
    assert rules["inbound-mail"]["ExpirationInDays"] >= 183            # the 6 months after closing
    assert rules["directory-imports"]["ExpirationInDays"] == 1
    # Uploads never confirmed go; a confirmed one was moved to attachments/, which never expires.
    from chalicelib.services import attachments

    assert rules["unconfirmed-uploads"]["Prefix"] == attachments.UPLOADS
    assert rules["unconfirmed-uploads"]["ExpirationInDays"] == 1
    assert not any(attachments.ATTACHMENTS.startswith(rule.get("Prefix", "-")) for rule in rules.values())
    # The results check's running sums: outlive a unit's retries, then go.
    from chalicelib.services import results_check

    assert results_check.SCRATCH_PREFIX.startswith(rules["job-scratch"]["Prefix"])
    assert rules["job-scratch"]["ExpirationInDays"] == results_check.SCRATCH_DAYS
    assert "VersioningConfiguration" not in bucket                    # a deletion is a deletion
    statements = resources["MailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    tls, ses = statements
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert ses["Principal"] == {"Service": "ses.amazonaws.com"} and "AWS:SourceAccount" in ses["Condition"]["StringEquals"]


def test_the_functions_that_keep_scratch_and_published_documents_may_write_where_they_do():
    """Each S3 prefix the code writes outside the mail (the results' published parts, the
    results check's sums) is readable and writable by the function that uses it, and by no
    other; and expires when it is scratch."""
    from chalicelib.services import results, results_check

    resources = template.template()["Resources"]

    def prefixes(role: str, action: str) -> set[str]:
        statements = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        return {r["Fn::Sub"].removeprefix("${MailBucket.Arn}/").removesuffix("*") for s in statements
                if action in s["Action"] for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
                if isinstance(r, dict) and "Fn::Sub" in r}

    for action in ("s3:GetObject", "s3:PutObject"):
        assert results.PUBLISHED_PREFIX in prefixes("ApiHandlerRole", action)
        assert results_check.SCRATCH_PREFIX.startswith(tuple(prefixes("RunJobUnitsRole", action) - {""}))
        assert results.PUBLISHED_PREFIX not in prefixes("RunJobUnitsRole", action)


def test_ses_stores_replies_in_the_bucket_and_notifies_the_inbound_function():
    resources = template.template()["Resources"]
    rule = resources["ReceiptRule"]["Properties"]["Rule"]
    action = rule["Actions"][0]["S3Action"]
    assert action["BucketName"] == {"Ref": "MailBucket"} and action["TopicArn"] == {"Ref": "InboundEmailTopic"}
    assert rule["Recipients"] == [names.stage_settings("prod")["RELAIS_INBOUND_DOMAIN"]]
    assert rule["ScanEnabled"] is True and rule["TlsPolicy"] == "Require"
    receive = resources["ReceiveEmail"]["Properties"]["Events"]
    assert list(receive.values())[0]["Properties"]["Topic"] == {"Ref": "InboundEmailTopic"}
    destination = resources["ConfigurationSetEvents"]["Properties"]["EventDestination"]
    assert {"bounce", "complaint"} <= set(destination["MatchingEventTypes"])
    assert destination["SnsDestination"]["TopicARN"] == {"Ref": "SesEventsTopic"}


def test_every_function_is_wired_has_an_alarm_a_failure_path_and_the_real_names():
    resources = template.template()["Resources"]
    found = functions.functions()
    assert {f.kind for f in found} == {"api", "dynamodb", "sqs", "sns", "schedule"}
    for function in found:
        properties = resources[function.logical_id]["Properties"]
        assert properties["Tracing"] == "Active"
        assert properties["Environment"]["Variables"]["RELAIS_TABLE"] == {"Ref": "RelaisTable"}
        # The API's errors are its 5xx rate (api-5xx); every other function has its errors alarm.
        assert (f"{function.logical_id}ErrorsAlarm" in resources) == (function.kind != "api")
        if function.asynchronous:
            failure = properties["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
            assert failure["Destination"] == {"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}
    stream = next(f for f in found if f.kind == "dynamodb")
    source = resources[stream.logical_id]["Properties"]["Events"][stream.event_id]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["RelaisTable", "StreamArn"]}
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}


def test_each_role_allows_only_what_its_function_needs():
    resources = template.template()["Resources"]
    assert set(iam.GRANTS) == {f.name for f in functions.functions()}

    def allowed(role: str) -> set[str]:
        document = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]
        return {a for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}

    assert "sms-voice:SendTextMessage" in allowed("SendSmsRole") and "sms-voice:SendTextMessage" in allowed("ReceiveSmsRole")
    assert "sms-voice:SendTextMessage" not in allowed("ApiHandlerRole") | allowed("SmsEventsRole")
    assert "ses:SendEmail" in allowed("SendNotificationsRole") and "ses:SendEmail" not in allowed("ReceiveSmsRole")
    assert "dynamodb:GetRecords" in allowed("SendNotificationsRole") and "dynamodb:GetRecords" not in allowed("ApiHandlerRole")
    for role in (r for r in resources if r.endswith("Role")):
        for statement in resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]:
            if statement["Resource"] == "*":         # only where AWS offers no resource to scope to
                assert set(statement["Action"]) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


# boto3 calls in the code, by the IAM actions they need (the clients' method names, snake_case).
# A transaction needs the action of each kind of item the code puts in one (_TRANSACT_ITEMS).
_ACTIONS = {"put_item": {"dynamodb:PutItem"}, "get_item": {"dynamodb:GetItem"}, "query": {"dynamodb:Query"},
            "update_item": {"dynamodb:UpdateItem"}, "delete_item": {"dynamodb:DeleteItem"},
            "transact_write_items": set(), "batch_get_item": {"dynamodb:BatchGetItem"},
            "batch_write_item": {"dynamodb:BatchWriteItem"}, "send_email": {"ses:SendEmail"},
            "send_text_message": {"sms-voice:SendTextMessage"},
            "get_object": {"s3:GetObject", "s3:ListBucket"}, "put_object": {"s3:PutObject"},
            "head_object": {"s3:GetObject", "s3:ListBucket"}, "delete_object": {"s3:DeleteObject"},
            "copy_object": {"s3:GetObject", "s3:PutObject", "s3:ListBucket"},
            "get_paginator": {"s3:ListBucket"},       # the only paginator: list_objects_v2 (delete_prefix)
            "send_message": {"sqs:SendMessage"}, "send_message_batch": {"sqs:SendMessage"}, "get_queue_url": {"sqs:GetQueueUrl"},
            "change_message_visibility": {"sqs:ChangeMessageVisibility"},
            "generate_presigned_post": {"s3:PutObject"}, "generate_presigned_url": {"s3:GetObject"}}
_TRANSACT_ITEMS = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
                   "ConditionCheck": "dynamodb:ConditionCheckItem"}
_DEV = "chalicelib.dev"          # the local emulation: never deployed behind a role


class _Code:
    """app.py and chalicelib read with `ast`, function by function: the project functions each
    one calls or hands on (callbacks included), and the boto3 methods it calls.

    Calls resolve through imports (lazy ones too), `self`, a `Deps` (`deps`, `d`, `deps()`) and
    the adapters its properties build, a unit of work (`uow`) and what its __init__ sets, and the scheduled jobs' dispatch by name (`run_job`). A
    boto3 method name called on anything else counts as an AWS call."""

    def __init__(self):
        self.defs: dict[str, tuple] = {}            # "pkg.module.function" or "...Class.method"
        self.values: dict[str, tuple] = {}          # module-level names: tables of functions
        self.classes: set[str] = set()
        self.bases: dict[str, tuple[str, list]] = {}    # class -> (its module, its base expressions)
        self.symbols: dict[str, dict[str, str]] = {}
        self.modules: dict[str, tuple[ast.Module, bool]] = {}     # name -> (tree, is a package)
        for path in [Path("app.py"), *sorted(Path("chalicelib").rglob("*.py"))]:
            parts = path.with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if not self._dev(name):
                self.modules[name] = (ast.parse(path.read_text(encoding="utf-8")), parts[-1] == "__init__")
        for module, (tree, package) in self.modules.items():
            table = self._imports(module, package, tree.body)
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    table[node.name] = f"{module}.{node.name}"
                if isinstance(node, ast.FunctionDef):
                    self.defs[f"{module}.{node.name}"] = (module, None, node)
                elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                    for target in getattr(node, "targets", [getattr(node, "target", None)]):
                        if isinstance(target, ast.Name):
                            table[target.id] = f"{module}.{target.id}"
                            self.values[f"{module}.{target.id}"] = (module, None, node.value)
                elif isinstance(node, ast.ClassDef):
                    self.classes.add(f"{module}.{node.name}")
                    self.bases[f"{module}.{node.name}"] = (module, node.bases)
                    for method in node.body:
                        if isinstance(method, ast.FunctionDef):
                            self.defs[f"{module}.{node.name}.{method.name}"] = (module, f"{module}.{node.name}", method)
            self.symbols[module] = table
        self.top_level = {module: [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef))]
                          for module, (tree, _) in self.modules.items()}

    @staticmethod
    def _dev(name: str) -> bool:
        return name == _DEV or name.startswith(_DEV + ".")

    def _imports(self, module: str, package: bool, nodes) -> dict[str, str]:
        table = {}
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    table[alias.asname or top] = alias.name if alias.asname else top
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = module.split(".")[:None if package else -1]
                    parts = parts[:len(parts) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                for alias in node.names:
                    table[alias.asname or alias.name] = f"{base}.{alias.name}"
        return table

    def _classify(self, name: str):
        if self._dev(name):
            return ("dev", name)
        for kind, known in (("module", self.modules), ("function", self.defs), ("class", self.classes),
                            ("value", self.values)):
            if name in known:
                return (kind, name)
        return None

    def _member(self, cls: str, name: str):
        """An attribute of an instance: a method, or what a property builds (an adapter)."""
        qualified = f"{cls}.{name}"
        if qualified not in self.defs and (assigned := self._assigned(cls, name)):
            return assigned
        if qualified not in self.defs:
            # Inherited from a project class (the repository is composed of one class per area).
            module, bases = self.bases.get(cls, ("", []))
            inherited = (self._member(base[1], name) for base in
                         (self.kind(b, (module, None, {})) for b in bases) if base and base[0] == "class")
            return next((found for found in inherited if found), None)
        module, _, node = self.defs[qualified]
        if not any(getattr(d, "id", getattr(d, "attr", None)) in ("property", "cached_property")
                   for d in node.decorator_list):
            return ("function", qualified)
        scope = (module, cls, self._imports(module, self.modules[module][1], ast.walk(node)))
        for returned in (n.value for n in ast.walk(node) if isinstance(n, ast.Return)):
            built = self.kind(returned.func, scope) if isinstance(returned, ast.Call) else None
            if built and built[0] == "class":
                return ("instance", built[1], qualified)
        return ("property", qualified)

    def _assigned(self, cls: str, name: str):
        """What __init__ sets self.<name> to: an instance built there (`self.cases = DynamoCases(...)`),
        or a parameter annotated with a project class (`self._repo = repo`, `repo: Repository`)."""
        init = self.defs.get(f"{cls}.__init__")
        if init is None:
            return None
        module, _, node = init
        scope = (module, cls, self._imports(module, self.modules[module][1], ast.walk(node)))
        annotated = {a.arg: a.annotation for a in node.args.args if a.annotation is not None}
        for statement in ast.walk(node):
            if not isinstance(statement, ast.Assign):
                continue
            for target in statement.targets:
                pairs = (zip(target.elts, statement.value.elts, strict=False)
                         if isinstance(target, ast.Tuple) and isinstance(statement.value, ast.Tuple)
                         else [(target, statement.value)])
                for left, right in pairs:
                    if not (isinstance(left, ast.Attribute) and left.attr == name
                            and getattr(left.value, "id", None) == "self"):
                        continue
                    if isinstance(right, ast.Name) and right.id in annotated:
                        right = ast.Call(func=annotated[right.id], args=[], keywords=[])
                    built = self.kind(right, scope)
                    if built and built[0] == "instance":
                        return built
        return None

    def kind(self, node, scope):
        """What an expression is: a module, a project function, class or instance, or None."""
        module, cls, local = scope
        if isinstance(node, ast.Name):
            if node.id == "self" and cls:
                return ("instance", cls)
            known = local.get(node.id) or self.symbols[module].get(node.id)
            if known:
                return self._classify(known)
            if node.id == "uow":        # deps.uow() in AWS; the memory fake is for tests only
                return ("instance", "chalicelib.adapters.unit_of_work.DynamoUnitOfWork")
            return ("instance", "chalicelib.bootstrap.Deps") if node.id in ("deps", "d") else None
        if isinstance(node, ast.Call):
            called = self.kind(node.func, scope)
            if called == ("function", "chalicelib.bootstrap.deps"):
                return ("instance", "chalicelib.bootstrap.Deps")
            return ("instance", called[1]) if called and called[0] == "class" else None
        if isinstance(node, ast.Attribute):
            base = self.kind(node.value, scope)
            if base and base[0] in ("module", "dev"):
                return self._classify(f"{base[1]}.{node.attr}")
            if base and base[0] in ("instance", "class"):
                return self._member(base[1], node.attr)
        return None

    def code_of(self, qualified: str | None) -> tuple[list, tuple]:
        """The nodes of one function (its body and defaults), of a module-level value, or of
        app.py's top-level code (None), with the scope to read them in."""
        module, cls, nodes = "app", None, self.top_level["app"]
        if qualified in self.values:
            module, cls, value = self.values[qualified]
            nodes = [value]
        elif qualified is not None:
            module, cls, function = self.defs[qualified]
            nodes = [*function.body, *function.args.defaults]
        return nodes, (module, cls, self._imports(module, self.modules[module][1],
                                                  (n for top in nodes for n in ast.walk(top))))

    def edges(self, qualified: str | None):
        """(project functions reached, boto3 methods called) by one function, or by top-level code."""
        nodes, scope = self.code_of(qualified)
        reached, calls = set(), set()
        pending = list(nodes)
        while pending:
            node = pending.pop()
            if isinstance(node, ast.Call):
                called = self.kind(node.func, scope)
                if called and called[0] == "dev":
                    continue                        # what goes to the emulation runs in dev only
                if called is None and isinstance(node.func, ast.Attribute) and node.func.attr in _ACTIONS:
                    calls.add(node.func.attr)
                if called == ("function", "chalicelib.routes.schedules.run_job"):
                    from chalicelib import jobs

                    # The job's name: a constant, or either of a conditional's ("results-recount" if ...).
                    names = [n.value for n in ast.walk(node.args[0])
                             if isinstance(n, ast.Constant) and isinstance(n.value, str)]
                    assert names, ast.unparse(node)
                    for name in names:
                        job = jobs.load()[name]
                        reached.add(f"{job.__module__}.{job.__qualname__}")
                if called == ("function", "chalicelib.jobs.units.run_unit"):
                    from chalicelib import jobs
                    from chalicelib.jobs import units

                    jobs.load()                     # a unit's worker is looked up by its job's name
                    reached |= {f"{w.__module__}.{w.__qualname__}" for w in units.WORKERS.values()}
            if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
                found = self.kind(node, scope)
                if found and found[0] in ("function", "property", "value"):
                    reached.add(found[1])
                elif found and found[0] == "instance" and len(found) == 3:
                    reached.add(found[2])           # the property that builds the adapter
                elif found and found[0] == "class" and f"{found[1]}.__init__" in self.defs:
                    reached.add(f"{found[1]}.__init__")
            pending.extend(ast.iter_child_nodes(node))
        return reached, calls

    def reachable(self, entries: set[str]) -> tuple[set[str], set[str]]:
        """Every project function reachable from the entries, and the boto3 methods they call.
        app.py's top-level code (middleware, the API's principal loader) runs in every function."""
        reached, calls = self.edges(None)
        seen, pending = set(), set(entries) | reached
        while pending:
            qualified = pending.pop()
            seen.add(qualified)
            more, called = self.edges(qualified)
            calls |= called
            pending |= more - seen
        return seen, calls


def _function_entries(code: _Code) -> dict[str, set[str]]:
    """Each Lambda function's handler code in app.py: the event handler chalice names, or for
    the API every route's view (blueprints included, dev-only routes excluded) and the HTTP
    middleware."""
    import app as application

    chalice_app = application.app
    # Lambda enters an event handler as "app.<function>"; app.py imports it from chalicelib/routes.
    entries = {source.name: {code.symbols["app"].get(source.handler_string.removeprefix("app."),
                                                     source.handler_string)}
               for source in chalice_app.event_sources}
    views = set()
    for methods in chalice_app.routes.values():
        for route in methods.values():
            view = getattr(route.view_function, "__wrapped__", route.view_function)
            qualified = f"{view.__module__}.{view.__qualname__}"
            decorators = code.defs[qualified][2].decorator_list
            if not any(k.arg == "dev_only" and getattr(k.value, "value", False)
                       for d in decorators if isinstance(d, ast.Call) for k in d.keywords):
                views.add(qualified)
    views |= {f"{h.__module__}.{h.__qualname__}" for h, kind in chalice_app.middleware_handlers if kind == "http"}
    entries["api_handler"] = views
    return entries


def _transaction_actions(code: _Code) -> set[str]:
    """The kinds of items the code puts in a TransactWriteItems ({"Put": ...}, {"Update": ...})."""
    kinds = {key.value for tree, _ in code.modules.values() for node in ast.walk(tree)
             if isinstance(node, ast.Dict) and len(node.keys) == 1
             for key in node.keys if isinstance(key, ast.Constant) and key.value in _TRANSACT_ITEMS}
    return {_TRANSACT_ITEMS[kind] for kind in kinds}


_IDEMPOTENCY_STORE = "chalicelib.bootstrap.Deps.idempotency_store"
_QUERY = "chalicelib.adapters.dynamo.query.Query"


def _idempotency_calls() -> set[str]:
    """What Powertools' idempotency store (DynamoDBPersistenceLayer, outside chalicelib, so
    unseen by _Code) calls on its client: read from its own source."""
    from aws_lambda_powertools.utilities.idempotency.persistence import dynamodb

    tree = ast.parse(Path(dynamodb.__file__).read_text(encoding="utf-8"))
    return {node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr in _ACTIONS
            and ast.unparse(node.func.value) == "self.client"}


def _transact_item_classes(code: _Code) -> dict[str, set[str]]:
    """The classes whose as_transact_item makes a transaction's items (writes.Write, Check,
    Delete), by the actions of the kinds each makes; no item is made anywhere else."""
    classes, inside = {}, set()
    for qualified, (_, cls, node) in code.defs.items():
        if cls and qualified.endswith(".as_transact_item"):
            made = [n for n in ast.walk(node) if isinstance(n, ast.Dict) and len(n.keys) == 1
                    and isinstance(n.keys[0], ast.Constant) and n.keys[0].value in _TRANSACT_ITEMS]
            classes[cls] = {_TRANSACT_ITEMS[n.keys[0].value] for n in made}
            inside |= {id(n) for n in made}
    everywhere = {id(n) for tree, _ in code.modules.values() for n in ast.walk(tree)
                  if isinstance(n, ast.Dict) and len(n.keys) == 1 and isinstance(n.keys[0], ast.Constant)
                  and n.keys[0].value in _TRANSACT_ITEMS}
    assert classes and everywhere == inside, "a transaction item made outside an as_transact_item"
    return classes


def _table_use(code: _Code, reached: set[str], calls: set[str]) -> tuple[set[str], bool]:
    """The DynamoDB actions one function needs on the table, and whether it queries an index.

    Beyond the boto3 calls of its code: a TransactWriteItems needs the action of each kind of
    item the function's code can put in one (the classes of _transact_item_classes it names);
    the Powertools idempotency store, when its code reaches it, makes its own calls; and a
    Query is on an index when the code builds it with an `index` (one that may be None counts)."""
    item_classes = _transact_item_classes(code)
    actions = {a for c in calls if c != "transact_write_items" for a in _ACTIONS[c] if a.startswith("dynamodb:")}
    if _IDEMPOTENCY_STORE in reached:
        actions |= {a for c in _idempotency_calls() for a in _ACTIONS[c]}
    index = False
    for qualified in [None, *reached]:
        nodes, scope = code.code_of(qualified)
        for node in (n for top in nodes for n in ast.walk(top)):
            if isinstance(node, (ast.Name, ast.Attribute)) and "transact_write_items" in calls:
                found = code.kind(node, scope)
                if found and found[0] == "class" and found[1] in item_classes:
                    actions |= item_classes[found[1]]
            if isinstance(node, ast.Call) and code.kind(node.func, scope) == ("class", _QUERY):
                given = {k.arg: k.value for k in node.keywords}
                index |= (len(node.args) > 1 or None in given
                          or ("index" in given and not (isinstance(given["index"], ast.Constant)
                                                        and given["index"].value is None)))
    return actions, index


def _queries_are_built_by_calls(code: _Code) -> None:
    """Query is only ever called (never handed on, so a Query built elsewhere cannot be missed)."""
    for qualified in [None, *code.defs, *code.values]:
        nodes, scope = code.code_of(qualified)
        called = {id(n.func) for top in nodes for n in ast.walk(top) if isinstance(n, ast.Call)}
        for node in (n for top in nodes for n in ast.walk(top)):
            if isinstance(node, (ast.Name, ast.Attribute)) and code.kind(node, scope) == ("class", _QUERY):
                assert id(node) in called, (qualified, ast.unparse(node))


@functools.cache
def _analysis() -> tuple[_Code, dict[str, tuple[set[str], set[str]]]]:
    """The code, and each function's (reachable project functions, boto3 methods called)."""
    code = _Code()
    entries = _function_entries(code)
    assert set(entries) == {f.name for f in functions.functions()}
    return code, {name: code.reachable(handlers) for name, handlers in entries.items()}


def test_each_function_is_allowed_every_aws_call_its_own_code_makes():
    from chalice.utils import to_cfn_resource_name

    resources = template.template()["Resources"]
    code, reachable = _analysis()
    assert _transaction_actions(code), "the scan found no transaction item"
    needs, reached_anywhere = {}, set()
    for name, (reached, calls) in reachable.items():
        reached_anywhere |= reached
        table_actions, _ = _table_use(code, reached, calls)
        needs[name] = {a for c in calls for a in _ACTIONS[c] if not a.startswith("dynamodb:")} | table_actions
        role = resources[to_cfn_resource_name(f"{name}_role")]
        allowed = {a for s in role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                   if s["Effect"] == "Allow" for a in s["Action"]}
        assert needs[name] <= allowed, (name, needs[name] - allowed)
    # The analysis sees every call: each function that calls AWS is reached from some handler.
    calling = {q for q in code.defs if code.edges(q)[1]}
    assert calling and calling <= reached_anywhere, calling - reached_anywhere
    # And it tells the functions apart.
    assert {"ses:SendEmail", "sqs:SendMessage"} <= needs["send_notifications"]
    # The outbox queues what the email pacing defers on the job queue: its role may, by resource.
    queues = [s["Resource"] for s in resources[to_cfn_resource_name("send_notifications_role")]["Properties"]
              ["Policies"][0]["PolicyDocument"]["Statement"] if "sqs:SendMessage" in s["Action"]]
    assert "JobQueue" in json.dumps(queues) and "SmsQueue" in json.dumps(queues)
    assert "sms-voice:SendTextMessage" in needs["send_sms"] and "sms-voice:SendTextMessage" not in needs["api_handler"]
    assert "s3:PutObject" in needs["receive_email"] and "s3:DeleteObject" in needs["run_job_units"]
    assert "sqs:SendMessage" in needs["retention"] and "s3:DeleteObject" not in needs["retention"]
    assert "ses:SendEmail" in needs["run_job_units"] and "ses:SendEmail" not in needs["weekly_digest"]
    # Through the unit of work too: the sweep's units climb the ladder in the worker's commits;
    # its planner only reads the index and moves its cursor.
    assert {"dynamodb:PutItem", "dynamodb:ConditionCheckItem"} <= needs["run_job_units"]
    assert "dynamodb:PutItem" not in needs["reminders"] and "sqs:SendMessage" in needs["reminders"]
    assert "dynamodb:DeleteItem" in needs["run_job_units"]          # a digest mark forgotten


def test_each_function_is_granted_exactly_the_table_actions_its_code_calls():
    """Both ways: iam.TABLE_ACTIONS (and INDEX_QUERIES) say what each function's reachable code
    calls on the table, no less (AccessDenied in production only: DynamoDB Local and moto do
    not enforce IAM) and no more (a grant left behind by removed code fails here)."""
    from chalice.utils import to_cfn_resource_name

    resources = template.template()["Resources"]
    code, reachable = _analysis()
    _queries_are_built_by_calls(code)
    assert {"get_item", "put_item", "update_item", "delete_item"} <= _idempotency_calls()
    assert set(iam.TABLE_ACTIONS) == set(reachable) and iam.INDEX_QUERIES <= set(reachable)
    idempotent = set()
    for name, (reached, calls) in reachable.items():
        actions, index = _table_use(code, reached, calls)
        declared = {f"dynamodb:{a}" for a in iam.TABLE_ACTIONS[name]}
        assert declared == actions, (name, "needed", actions - declared, "never called", declared - actions)
        assert (name in iam.INDEX_QUERIES) == index, name
        if _IDEMPOTENCY_STORE in reached:
            idempotent.add(name)
        statements = resources[to_cfn_resource_name(f"{name}_role")]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        on_table = [s for s in statements if "RelaisTable" in json.dumps(s["Resource"])
                    and "StreamArn" not in json.dumps(s["Resource"])]
        by_resource = {json.dumps(s["Resource"], sort_keys=True): set(s["Action"]) for s in on_table}
        expected = {json.dumps({"Fn::GetAtt": ["RelaisTable", "Arn"]}, sort_keys=True): actions} if actions else {}
        if index:
            expected[json.dumps({"Fn::Sub": "${RelaisTable.Arn}/index/*"}, sort_keys=True)] = {"dynamodb:Query"}
        assert len(on_table) == len(by_resource) and by_resource == expected, (name, by_resource)
    # Those that send email or SMS once, under Powertools idempotency, and only those.
    assert idempotent == {"send_notifications", "run_job_units", "send_sms", "receive_sms"}, idempotent
    # Narrower than the whole table: a scheduled planner only reads; the SMS receipts only update.
    assert iam.TABLE_ACTIONS["weekly_digest"] == {"Query"} and iam.TABLE_ACTIONS["sms_events"] == {"UpdateItem"}


def test_alarms_cover_dead_letters_late_escalations_errors_bounces_and_sms_failures():
    resources = template.template()["Resources"]
    alarms = {r["Properties"].get("MetricName") for r in resources.values() if r.get("Type") == "AWS::CloudWatch::Alarm"}
    assert {"ApproximateNumberOfMessagesVisible", "escalations_late", "Errors", "Reputation.BounceRate",
            "sms_failed", "IteratorAge", "ladder_stage_unaddressed", "job_ran"} <= alarms
    for resource in resources.values():
        if resource.get("Type") == "AWS::CloudWatch::Alarm":
            assert resource["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
            assert "docs/operations.md" in resource["Properties"]["AlarmDescription"]


def test_the_dashboard_shows_the_metrics_the_code_emits():
    import json
    import re
    from pathlib import Path

    body = json.dumps(observability.dashboard_body("prod"))
    shown = set(re.findall(r'"Relais", "(\w+)"', body))
    emitted = set()
    for path in Path("chalicelib").rglob("*.py"):
        emitted |= set(re.findall(r'count\(\s*"(\w+)"', path.read_text(encoding="utf-8")))
        emitted |= set(re.findall(r'"(answers_by_\w+)"', path.read_text(encoding="utf-8")))
    assert shown <= emitted, shown - emitted
    assert {"cases_created", "escalations_sent", "escalations_late", "answers_by_email", "sms_sent",
            "sms_segments", "emails_bounced"} <= shown


def test_the_inbound_function_may_write_every_prefix_it_writes_and_each_expires_or_is_purged():
    import re
    from pathlib import Path

    source = Path("chalicelib/services/inbound.py").read_text(encoding="utf-8")
    written = set(re.findall(r'_keep_raw\(deps, "(\w+)"', source)) | set(re.findall(r'f"(\w+)/\{case_ref\}', source))
    assert written == {"inbound", "quarantine", "attachments"}
    resources = template.template()["Resources"]
    statements = resources["ReceiveEmailRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    writable = {r["Fn::Sub"] for s in statements if "s3:PutObject" in s["Action"]
                for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])}
    assert {f"${{MailBucket.Arn}}/{prefix}/*" for prefix in written} <= writable
    expiring = {rule.get("Prefix") for rule in resources["MailBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert {"inbound/", "quarantine/"} <= expiring       # raw mail; documents go with the case (retention)


def test_the_site_cannot_starve_the_outbox_nor_the_inbound_replies():
    """Reserved concurrency for the stream consumer and the inbound function; the API stage
    throttled; the queue workers capped at their source (tests/integration/test_sms.py)."""
    resources = template.template()["Resources"]
    reserved = {name: resources[name]["Properties"].get("ReservedConcurrentExecutions")
                for name in ("SendNotifications", "ReceiveEmail", "APIHandler")}
    assert reserved["SendNotifications"] >= 10 and reserved["ReceiveEmail"] >= 5
    assert reserved["APIHandler"] is None                    # the site takes the unreserved rest
    [throttle] = resources["RestAPI"]["Properties"]["MethodSettings"]
    assert (throttle["ResourcePath"], throttle["HttpMethod"]) == ("/*", "*")
    assert 0 < throttle["ThrottlingRateLimit"] <= throttle["ThrottlingBurstLimit"]


def test_receive_email_has_the_memory_its_largest_parsed_message_needs():
    """bench/bench_inbound_memory.py measures about 300 MB for a reply of 20 MB (the largest
    parsed whole; above it only the first 64 KB are read): the function gets four times that."""
    from chalicelib.services import inbound

    resources = template.template()["Resources"]
    assert inbound.MAX_MESSAGE_BYTES <= 20 * 1024 * 1024
    assert resources["ReceiveEmail"]["Properties"]["MemorySize"] >= 4 * 300
    assert "MemorySize" not in resources["APIHandler"]["Properties"]           # the stage's 256 MB


def test_every_topic_is_encrypted_with_a_key_its_publishers_may_use_and_on_call_is_a_parameter():
    resources = template.template("prod")["Resources"]
    topics = {name: r for name, r in resources.items() if r.get("Type") == "AWS::SNS::Topic"}
    assert len(topics) == 5 and all(t["Properties"]["KmsMasterKeyId"] == {"Ref": "TopicKey"} for t in topics.values())
    key = resources["TopicKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    allowed = next(s for s in key["KeyPolicy"]["Statement"] if s["Sid"] == "ServicesPublish")
    publishers = {service for r in resources.values() if r.get("Type") == "AWS::SNS::TopicPolicy"
                  for service in _listed(r["Properties"]["PolicyDocument"]["Statement"][0]["Principal"]["Service"])}
    assert publishers and publishers <= set(allowed["Principal"]["Service"])
    assert {"kms:GenerateDataKey*", "kms:Decrypt"} <= set(allowed["Action"])

    full = template.template("prod")
    subscription = resources["OnCallSubscription"]
    assert subscription["Condition"] == "HasOnCallEmail" and subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    assert full["Parameters"]["OnCallEmail"]["Default"] == ""
    pattern = re.compile(full["Parameters"]["OnCallEmail"]["AllowedPattern"])
    assert pattern.match("astreinte@relais.gouv.fr") and pattern.match("") and not pattern.match("astreinte")


def test_sms_leave_from_a_two_way_pool_with_self_managed_opt_outs_and_their_receipts_come_back():
    """End User Messaging (infra/sms.py): the configuration set's event destination publishes
    the final SMS events to the topic of the sms_events function; the pool, made only when the
    deploy names the hand-registered number, sends the replies to receive_sms's topic and leaves
    STOP to Relais (self-managed opt-outs, on Relais's own opt-out list)."""
    from chalicelib.services import sms as sms_service
    from infra import sms

    full = template.template("prod")
    resources = full["Resources"]
    [destination] = resources["SmsConfigurationSet"]["Properties"]["EventDestinations"]
    assert destination["Enabled"] is True and destination["SnsDestination"] == {"TopicArn": {"Ref": "SmsEventsTopic"}}
    assert set(destination["MatchingEventTypes"]) == set(sms_service.DELIVERY_STATUS)
    events = resources["SmsEvents"]["Properties"]["Events"]
    assert list(events.values())[0]["Properties"]["Topic"] == {"Ref": "SmsEventsTopic"}
    receive = resources["ReceiveSms"]["Properties"]["Events"]
    assert list(receive.values())[0]["Properties"]["Topic"] == {"Ref": "InboundSmsTopic"}
    for topic in ("SmsEventsTopic", "InboundSmsTopic"):
        statement = resources[f"{topic}Policy"]["Properties"]["PolicyDocument"]["Statement"][0]
        assert statement["Principal"] == {"Service": "sms-voice.amazonaws.com"} and statement["Action"] == "sns:Publish"
    assert resources["SmsOptOutList"]["Type"] == "AWS::SMSVOICE::OptOutList"

    parameter = full["Parameters"][sms.PARAMETER]
    assert parameter["Default"] == "" and re.match(parameter["AllowedPattern"], "")
    assert re.match(parameter["AllowedPattern"], "arn:aws:sms-voice:eu-west-3:123456789012:phone-number/phone-0a1b")
    assert not re.match(parameter["AllowedPattern"], "+33612345678")
    pool = resources["SmsPool"]
    assert pool["Condition"] == sms.CONDITION and sms.CONDITION in full["Conditions"]
    assert pool["Properties"]["OriginationIdentities"] == [{"Ref": sms.PARAMETER}]
    assert pool["Properties"]["TwoWay"] == {"Enabled": True, "ChannelArn": {"Ref": "InboundSmsTopic"}}
    assert pool["Properties"]["SelfManagedOptOutsEnabled"] is True
    assert pool["Properties"]["OptOutListName"] == {"Ref": "SmsOptOutList"}
    assert all(len(k["Message"]) <= 160 for k in pool["Properties"]["MandatoryKeywords"].values())
    variables = resources["SendSms"]["Properties"]["Environment"]["Variables"]
    assert variables["RELAIS_SMS_CONFIGURATION_SET"] == {"Ref": "SmsConfigurationSet"}
    assert variables["RELAIS_SMS_ORIGINATION_IDENTITY"]["Fn::If"][0] == sms.CONDITION


def test_sending_an_sms_is_allowed_only_from_the_pool_and_the_configuration_set():
    resources = template.template("prod")["Resources"]
    statements = resources["SendSmsRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    [send] = [s for s in statements if "sms-voice:SendTextMessage" in s["Action"]]
    assert send["Action"] == ["sms-voice:SendTextMessage"] and "*" not in json.dumps(send["Resource"])
    assert {"Fn::GetAtt": ["SmsConfigurationSet", "Arn"]} in send["Resource"]
    conditional = [r["Fn::If"] for r in send["Resource"] if "Fn::If" in r]
    assert [{"Fn::GetAtt": ["SmsPool", "Arn"]}, {"Ref": "SmsOriginationIdentity"}] == [c[1] for c in conditional]
    assert all(c[0] == "HasSmsOriginationIdentity" and c[2] == {"Ref": "AWS::NoValue"} for c in conditional)


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _alarms(stage: str = "prod") -> dict[str, dict]:
    return {logical_id: r["Properties"] for logical_id, r in template.template(stage)["Resources"].items()
            if r.get("Type") == "AWS::CloudWatch::Alarm"}


def _window(alarm: dict) -> int:
    """How far back an alarm looks, in seconds: its periods, or its metrics' periods."""
    periods = [alarm["Period"]] if "Period" in alarm else [
        m.get("Period") or m["MetricStat"]["Period"] for m in alarm["Metrics"] if "Period" in m or "MetricStat" in m]
    return max(periods) * alarm["EvaluationPeriods"]


def test_every_alarm_fits_cloudwatch_limits_and_says_how_missing_data_counts():
    for logical_id, alarm in _alarms().items():
        periods = [alarm["Period"]] if "Period" in alarm else [
            m.get("Period") or m["MetricStat"]["Period"] for m in alarm["Metrics"] if "Period" in m or "MetricStat" in m]
        assert periods and all(p % 60 == 0 for p in periods), logical_id
        limit = 86400 if max(periods) < 3600 else 604800           # PutMetricAlarm's evaluation range
        assert _window(alarm) <= limit, logical_id
        assert alarm["OKActions"] == [{"Ref": "AlarmTopic"}], logical_id
        # A heartbeat's silence is the failure; anything else's silence is no failure.
        assert alarm["TreatMissingData"] == ("breaching" if logical_id.endswith("HeartbeatAlarm") else "notBreaching")


def test_every_scheduled_job_has_a_heartbeat_alarm_whose_window_holds_a_run_or_says_why_not():
    from datetime import timedelta
    from itertools import pairwise

    from infra.schedules import cron_times, heartbeat_window, rate_interval

    alarms = _alarms()
    scheduled = [f for f in functions.functions() if f.kind == "schedule"]
    assert len(scheduled) == 5
    for function in scheduled:
        window = heartbeat_window(function.schedule)
        alarm = alarms.get(f"{function.logical_id}HeartbeatAlarm")
        if window is None:
            # Less often than weekly: longer than any alarm can look back (the runbook says how it is watched).
            times = cron_times(function.schedule)
            assert alarm is None and max(b - a for a, b in pairwise(times)) > timedelta(days=7)
            continue
        assert alarm["MetricName"] == "job_ran" and alarm["Namespace"] == "Relais"
        assert {"Name": "job", "Value": function.name} in alarm["Dimensions"]
        assert alarm["ComparisonOperator"] == "LessThanThreshold" and alarm["Threshold"] == 1
        assert alarm["EvaluationPeriods"] == 1 and alarm["Period"] == window.period
        if function.schedule.startswith("rate("):
            # Sliding: the window holds two intervals, so always a run, whatever the rule's offset.
            assert "EvaluationWindow" not in alarm
            assert alarm["Period"] >= 2 * rate_interval(function.schedule).total_seconds()
        else:
            # Aligned to the clock (UTC): each hour, day or calendar week holds exactly one run, away
            # from the boundaries (a week starts at midnight, whichever its first day).
            assert alarm["EvaluationWindow"] == {"WallClockWindow": {"Timezone": "UTC"}}
            times = cron_times(function.schedule)
            boundary = min(alarm["Period"], 86400)
            starts = {t.timestamp() // alarm["Period"] for t in times} if alarm["Period"] < 604800 else None
            assert all(600 <= t.timestamp() % boundary <= boundary - 600 for t in times)
            assert starts is None or len(starts) == len(times)
            assert {(b - a).total_seconds() for a, b in pairwise(times)} == {alarm["Period"]}
    assert {"RemindersHeartbeatAlarm", "RetentionHeartbeatAlarm", "WeeklyDigestHeartbeatAlarm",
            "ResultsCheckHeartbeatAlarm"} <= set(alarms)


def test_each_function_alarms_as_it_fails_throttles_and_nears_its_timeout():
    from infra import observability as infra_observability

    alarms = _alarms()
    resources = template.template()["Resources"]
    for function in functions.functions():
        timeout = infra_observability.timeout(function, "prod")
        assert timeout == resources[function.logical_id]["Properties"].get("Timeout", 30)   # the stage's 30 s
        duration = alarms[f"{function.logical_id}DurationAlarm"]
        assert duration["MetricName"] == "Duration" and duration["Statistic"] == "Maximum"
        assert 0.5 * timeout * 1000 <= duration["Threshold"] < timeout * 1000
        throttles = alarms[f"{function.logical_id}ThrottlesAlarm"]
        assert (throttles["MetricName"], throttles["Threshold"], throttles["EvaluationPeriods"]) == ("Throttles", 1, 1)
        for alarm in (duration, throttles):
            assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function.logical_id}}]
        errors = alarms.get(f"{function.logical_id}ErrorsAlarm")
        if function.kind == "api":
            assert errors is None                              # its 5xx rate: ApiErrorsAlarm
        elif function.asynchronous:
            assert (errors["Threshold"], errors["EvaluationPeriods"]) == (1, 1)   # retried twice, then gone
        else:
            assert (errors["Threshold"], errors["EvaluationPeriods"]) == (1, 2)   # its source retries
    assert resources["RunJobUnits"]["Properties"]["Timeout"] == 120
    api = alarms["ApiErrorsAlarm"]
    rate = next(m for m in api["Metrics"] if m.get("ReturnData"))
    assert "errors / requests" in rate["Expression"] and api["Threshold"] <= 0.05


def test_the_table_and_each_of_its_indexes_have_throttle_alarms():
    alarms = _alarms()
    watched = {(next((d["Value"] for d in a["Dimensions"] if d["Name"] == "GlobalSecondaryIndexName"), None),
                a["MetricName"]) for a in alarms.values() if a.get("Namespace") == "AWS/DynamoDB"}
    indexes = [None] + [index["IndexName"] for index in table.definition()["GlobalSecondaryIndexes"]]
    assert len(indexes) >= 4
    assert watched == {(index, metric) for index in indexes for metric in ("ReadThrottleEvents", "WriteThrottleEvents")}
    [query] = alarms["ThrottledRequestsAlarm"]["Metrics"]
    assert "ThrottledRequests" in query["Expression"] and "'relais-prod'" in query["Expression"]


def test_failed_events_ses_sms_spend_and_the_budget_are_watched():
    full = template.template()
    alarms, resources = _alarms(), full["Resources"]
    age = alarms["FailedEventsAgeAlarm"]
    assert age["MetricName"] == "ApproximateAgeOfOldestMessage" and age["Threshold"] <= 12 * 3600   # of the stream's 24 h
    complaints = alarms["SesComplaintRateAlarm"]
    assert complaints["MetricName"] == "Reputation.ComplaintRate" and complaints["Threshold"] < 0.001
    assert alarms["SesBounceRateAlarm"]["Threshold"] < 0.05
    spend = alarms["SmsSpendAlarm"]
    watched = {m["MetricStat"]["Metric"]["MetricName"] for m in spend["Metrics"] if "MetricStat" in m}
    assert watched == {"TextMessageMonthlySpend", "SMSMonthToDateSpentUSD"} and spend["Threshold"] == 0.8
    assert "SmsMonthlySpendLimit" in json.dumps(spend["Metrics"]) and "SmsMonthlySpendLimit" in full["Parameters"]
    budget = resources["CostBudget"]["Properties"]
    assert budget["Budget"]["BudgetLimit"] == {"Amount": {"Ref": "MonthlyBudget"}, "Unit": "USD"}
    notices = {(n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
               for n in budget["NotificationsWithSubscribers"]}
    assert notices == {("ACTUAL", 80), ("FORECASTED", 100)}
    assert all(n["Subscribers"] == [{"SubscriptionType": "SNS", "Address": {"Ref": "AlarmTopic"}}]
               for n in budget["NotificationsWithSubscribers"])
    # Budgets may publish to the alarms topic and use its key.
    policy = resources["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert "budgets.amazonaws.com" in _listed(policy["Principal"]["Service"])
    assert "budgets.amazonaws.com" in template.TOPIC_PUBLISHERS


def test_every_relais_metric_an_alarm_watches_is_emitted_by_the_code():
    """An alarm on a metric nobody emits would never sound: each name is in chalicelib, as a
    count("...") or the heartbeat's."""
    from chalicelib import observability as app_observability

    emitted = {app_observability.HEARTBEAT}
    for path in Path("chalicelib").rglob("*.py"):
        emitted |= set(re.findall(r'count\(\s*"(\w+)"', path.read_text(encoding="utf-8")))
    watched = {a["MetricName"] for a in _alarms().values() if a.get("Namespace") == "Relais"}
    assert {"job_ran", "results_cells_drifted", "retention_failures", "results_failures", "sms_failed"} <= watched
    assert watched <= emitted, watched - emitted


def test_every_alarm_is_in_the_runbook():
    """Each alarm's name (relais-prod-...) is a heading of docs/operations.md, or is listed under
    a heading with a placeholder (relais-prod-<index>-read-throttles); the alarms of every function
    (relais-prod-<function>-throttles) need only their heading."""
    runbook = Path("docs/operations.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### (relais-prod-\S+)\n(.*?)(?=^### |^## |\Z)", runbook, re.M | re.S))
    function_names = {f.name.replace("_", "-") for f in functions.functions()}
    for logical_id, alarm in _alarms().items():
        name = alarm["AlarmName"]
        if name in sections:
            continue
        short = name.removeprefix("relais-prod-")
        found = False
        for heading, text in sections.items():
            placeholder = re.fullmatch(r"relais-prod-<(\w+)>-([\w-]+)", heading)
            if not placeholder or not short.endswith("-" + placeholder[2]):
                continue
            middle = short.removesuffix("-" + placeholder[2])
            listed = f"`-{short}`" in text or f"`{name}`" in text
            every_function = placeholder[1] == "function" and placeholder[2] in ("throttles", "duration")
            found = found or listed or (every_function and middle in function_names)
        assert found, f"{name} ({logical_id}) is not in docs/operations.md"


def test_the_saved_queries_read_existing_log_groups():
    resources = template.template()["Resources"]
    saved = {r["Properties"]["Name"]: r["Properties"] for r in resources.values()
             if r.get("Type") == "AWS::Logs::QueryDefinition"}
    assert set(saved) == {f"relais-prod/{name}" for name in observability.QUERIES}
    logical_ids = {f.logical_id for f in functions.functions()}
    for query in saved.values():
        groups = [g["Fn::Sub"] for g in query["LogGroupNames"]]
        assert groups and all(re.fullmatch(r"/aws/lambda/\$\{(\w+)\}", g)[1] in logical_ids for g in groups)
    assert len(saved["relais-prod/case-history"]["LogGroupNames"]) == len(logical_ids)


def test_the_log_lines_the_saved_queries_look_for_are_written_by_the_code():
    """A query filtering on a message nobody logs any more finds nothing, silently."""
    code = "\n".join(path.read_text(encoding="utf-8") for path in Path("chalicelib").rglob("*.py"))
    for name, (_, query) in observability.QUERIES.items():
        for listed in re.findall(r"message (?:in \[([^\]]*)\]|= (\"[^\"]*\"))", query):
            for message in re.findall(r'"([^"]+)"', " ".join(listed)):
                assert f'"{message}"' in code, (name, message)


def test_each_function_may_list_the_prefixes_it_reads_and_deletes():
    """s3:ListBucket, by prefix: S3 answers a read of a missing key with 404 (not 403), and the
    purge lists a case's raw emails. Every prefix a function reads or deletes in the bucket is one
    it may list, and no other."""
    from chalice.utils import to_cfn_resource_name

    resources = template.template()["Resources"]
    for function in functions.functions():
        role = resources[to_cfn_resource_name(f"{function.name}_role")]
        statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        read = {r["Fn::Sub"].removeprefix("${MailBucket.Arn}/").removesuffix("*") for st in statements
                if {"s3:GetObject", "s3:DeleteObject"} & set(st["Action"])
                for r in (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])}
        listings = [st for st in statements if "s3:ListBucket" in st["Action"]]
        assert all(st["Action"] == ["s3:ListBucket"] and st["Resource"] == {"Fn::GetAtt": ["MailBucket", "Arn"]}
                   for st in listings)
        listed = {p.removesuffix("*") for st in listings for p in st["Condition"]["StringLike"]["s3:prefix"]}
        assert listed == read, (function.name, listed, read)
    purge = resources["RunJobUnitsRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    deletable = {r["Fn::Sub"] for st in purge if "s3:DeleteObject" in st["Action"] for r in st["Resource"]}
    assert {f"${{MailBucket.Arn}}/{prefix}/*" for prefix in ("attachments", "uploads", "inbound", "quarantine")} <= deletable


def test_what_api_gateway_answers_itself_is_a_french_page_for_a_browser_and_json_for_the_api():
    responses = template.template()["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    unknown = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert unknown["StatusCode"] == 404                     # not API Gateway's 403
    html = unknown["ResponseTemplates"]["text/html"]
    assert html.startswith("<!doctype html>") and '<html lang="fr"' in html
    assert "<h1>Page introuvable</h1>" in html and "Missing Authentication Token" not in html
    assert json.loads(unknown["ResponseTemplates"]["application/json"])["error"] == "not_found"
    refused = responses["DEFAULT_4XX"]
    assert "StatusCode" not in refused                      # a 413 or a 429 keeps its status
    assert "<h1>Cette demande n'est pas valable</h1>" in refused["ResponseTemplates"]["text/html"]
    for response in responses.values():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["X-Content-Type-Options"] == "'nosniff'" and headers["X-Frame-Options"] == "'DENY'"
        # API Gateway's static values are quoted once: a quote inside would break the deploy.
        assert all(value.count("'") == 2 for value in headers.values())
        # Its templates substitute $context variables only: no stray "$" in the pages.
        assert "$" not in response["ResponseTemplates"]["text/html"]


def test_the_api_may_read_the_originals_and_delete_a_discarded_quarantined_email():
    """The agent's original page reads inbound/ and quarantine/ (issue 24); « Écarter » deletes
    the quarantined copy (quarantine.discard): both are the API function's, by prefix."""
    resources = template.template()["Resources"]
    statements = resources["ApiHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]

    def granted(action):
        return {r["Fn::Sub"] for st in statements if action in st["Action"]
                for r in (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])
                if isinstance(r, dict) and "Fn::Sub" in r}

    assert {"${MailBucket.Arn}/inbound/*", "${MailBucket.Arn}/quarantine/*"} <= granted("s3:GetObject")
    assert "${MailBucket.Arn}/quarantine/*" in granted("s3:DeleteObject")
    assert "${MailBucket.Arn}/inbound/*" not in granted("s3:DeleteObject")
