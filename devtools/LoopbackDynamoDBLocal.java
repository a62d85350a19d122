// DynamoDB Local, listening on 127.0.0.1 only.
//
// DynamoDB Local has no host option (java -jar DynamoDBLocal.jar -help: -port, -inMemory,
// -sharedDb, -dbPath, -cors...): its Jetty server listens on every interface. This launcher
// builds the server exactly as DynamoDBLocal.jar's main does (ServerRunner, same arguments),
// then sets its Jetty connectors' host to 127.0.0.1 before starting it. Reflection only, so
// it compiles without the jar and works with the old (com.amazonaws...) and new
// (software.amazon...) package names. Run as a single-file program (java File.java), with
// the jar and DynamoDBLocal_lib/* on the class path: devtools/stack.py start_dynamodb.
import java.lang.reflect.Field;
import java.lang.reflect.Method;

public class LoopbackDynamoDBLocal {
    static final String HOST = "127.0.0.1";

    public static void main(String[] args) throws Exception {
        Class<?> runner = null;
        for (String name : new String[] {
                "software.amazon.dynamodb.services.local.main.ServerRunner",
                "com.amazonaws.services.dynamodbv2.local.main.ServerRunner"}) {
            try {
                runner = Class.forName(name);
                break;
            } catch (ClassNotFoundException absent) {
                // the other package name
            }
        }
        if (runner == null) {
            throw new IllegalStateException("DynamoDB Local's ServerRunner was not found on the class path");
        }
        Object proxy = runner.getMethod("createServerFromCommandLineArgs", String[].class)
                .invoke(null, (Object) args);
        Field field = proxy.getClass().getDeclaredField("server");
        field.setAccessible(true);
        Object server = field.get(proxy);
        Object[] connectors = (Object[]) server.getClass().getMethod("getConnectors").invoke(server);
        if (connectors.length == 0) {
            throw new IllegalStateException("DynamoDB Local's server has no connector to bind");
        }
        for (Object connector : connectors) {
            Method setHost = connector.getClass().getMethod("setHost", String.class);
            setHost.invoke(connector, HOST);
        }
        proxy.getClass().getMethod("start").invoke(proxy);
        System.out.println("DynamoDB Local listening on " + HOST + " only");
        proxy.getClass().getMethod("join").invoke(proxy);
    }
}
