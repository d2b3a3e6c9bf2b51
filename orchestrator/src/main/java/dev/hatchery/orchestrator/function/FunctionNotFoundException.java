package dev.hatchery.orchestrator.function;

import java.util.NoSuchElementException;

/** No function of that name is deployed: the HTTP layer answers 404. */
public final class FunctionNotFoundException extends NoSuchElementException
{
    private static final long serialVersionUID = 1L;

    public FunctionNotFoundException(final String name)
    {
        super("no function named '" + name + "' is deployed; deploy it first (PUT /v1/functions/" + name
            + " or ./hatchery function deploy " + name + " --handler FILE)");
    }
}
